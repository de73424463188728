#!/usr/bin/env bash
# Builds and runs the libFuzzer targets.
#
#   Tests/Fuzz/run.sh [TARGET] [SECONDS]
#
# TARGET is `http` (HTTPRequestFuzz.swift: request and response parsers), `changeset`
# (ChangeSetFuzz.swift: the change-set decoder and encoder) or `all` (the default, one after the
# other). SECONDS is the fuzzing time per target (default 30: the bounded run meant for CI;
# `run.sh all 600` for a long run).
#
# Each target is the module's sources and its fuzz file compiled into one executable with
# `swiftc -sanitize=fuzzer,address`, in .build-fuzz/ (override with FUZZ_BUILD=folder). It fuzzes a
# working corpus in .build-fuzz/corpus/TARGET/, which keeps what earlier runs found and is topped
# up from the seeds in Fixtures/fuzz/TARGET/ and the regressions in Fixtures/fuzz/regressions/TARGET/
# at every run (delete it to start afresh). Crashing inputs are written to
# .build-fuzz/crashes/TARGET/; the script prints the executions, the crash files, and how to
# replay and minimize one, and exits 1 when a target crashed.
#
# Extra libFuzzer flags can be given in FUZZ_FLAGS (for example FUZZ_FLAGS="-jobs=2 -workers=2").
set -euo pipefail
cd "$(dirname "$0")/../.."

target=${1:-all}
seconds=${2:-30}
build=${FUZZ_BUILD:-.build-fuzz}

case "$target" in
    all) targets=(http changeset) ;;
    http | changeset) targets=("$target") ;;
    *) echo "usage: $0 [http|changeset|all] [SECONDS]" >&2; exit 2 ;;
esac
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "SECONDS must be a whole number, not \"$seconds\"" >&2; exit 2; }

# Swift's crash handler gets in AddressSanitizer's way; leak checks would report the runtime's caches.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}

sources() {
    case "$1" in
        http) echo Sources/HTTPCodec/*.swift Tests/Fuzz/HTTPRequestFuzz.swift ;;
        changeset) echo Sources/BoucleCore/*.swift Tests/Fuzz/ChangeSetFuzz.swift ;;
    esac
}

status=0
summary=()
for name in "${targets[@]}"; do
    binary="$build/$name-fuzz"
    corpus="$build/corpus/$name"
    crashes="$build/crashes/$name"
    log="$build/$name.log"
    mkdir -p "$corpus" "$crashes"

    echo "== $name: building $binary"
    # shellcheck disable=SC2046  # the source list is meant to be split
    # The linker's warnings about ASan's local symbols are noise: the output is shown only on failure.
    if ! swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name "${name^}Fuzz" \
        $(sources "$name") -o "$binary" >"$build/$name.build.log" 2>&1; then
        grep -v 'ld.gold: warning' "$build/$name.build.log" >&2
        echo "== $name: the build failed" >&2
        exit 2
    fi

    cp -n Fixtures/fuzz/"$name"/* "$corpus"/ 2>/dev/null || true
    cp -n Fixtures/fuzz/regressions/"$name"/* "$corpus"/ 2>/dev/null || true
    rm -f "$corpus"/README.md

    marker=$(mktemp)
    echo "== $name: fuzzing for ${seconds}s (corpus $corpus, $(find "$corpus" -type f | wc -l) files)"
    set +e
    # shellcheck disable=SC2086  # FUZZ_FLAGS holds several flags
    "$binary" "$corpus" -max_total_time="$seconds" -use_value_profile=1 -max_len=65536 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$crashes/" ${FUZZ_FLAGS:-} >"$log" 2>&1
    code=$?
    set -e
    executions=$(grep -h 'stat::number_of_executed_units' "$log" | awk '{ total += $2 } END { print total + 0 }')
    new_crashes=$(find "$crashes" -type f -newer "$marker" | sort)
    rm -f "$marker"
    grep -E '^#[0-9]+.*DONE|^Done [0-9]+ runs' "$log" | tail -1 || true
    if [ "$code" -ne 0 ] || [ -n "$new_crashes" ]; then
        status=1
        grep -E 'Fatal error|ERROR: AddressSanitizer|ERROR: libFuzzer|SUMMARY' "$log" | head -5 || true
        echo "== $name: CRASH (exit $code) after $executions executions; full log in $log"
        for file in $new_crashes; do
            echo "   $file"
            echo "   replay:   SWIFT_BACKTRACE=enable=no $binary $file"
            echo "   minimize: SWIFT_BACKTRACE=enable=no $binary -minimize_crash=1 -max_total_time=60 -exact_artifact_path=$file.min $file"
        done
        summary+=("$name: $executions executions, crashed")
    else
        echo "== $name: $executions executions, no crash"
        summary+=("$name: $executions executions, no crash")
    fi
done

echo "== fuzz summary (${seconds}s per target)"
printf '   %s\n' "${summary[@]}"
exit "$status"
