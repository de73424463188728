// libFuzzer target for the change-set decoder (and through it JSONParser, SHA256, Schema, Change).
//
// Not a SwiftPM target: Tests/Fuzz/run.sh compiles this file together with every file of
// Sources/BoucleCore/ into one executable (one module), so it needs no `import BoucleCore`.
//
// The rules checked for every input (any break is a `fatalError`, which libFuzzer records as a
// crash):
// - the decoder never traps, reads out of bounds or hangs, whatever the bytes;
// - what comes out (the header and changes handed out, then the error, or none once `finish()`
//   accepts) does not depend on how the input was fed: whole, in two pieces, or in small pieces
//   of varying sizes; with the default line limit and with a small one (so the limit is reached);
// - every change handed out is well formed, and the header and changes, written again by
//   `ChangeSetEncoder`, decode to equal values, with a valid trailer.

@_cdecl("LLVMFuzzerTestOneInput")
public func changeSetFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    ChangeSetFuzz.check(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

enum ChangeSetFuzz {
    struct Outcome: Equatable {
        var items: [ChangeSetDecoder.Item] = []
        var error: ChangeSetError?
    }

    /// Shorter than a typical change line, longer than a header line.
    static let smallLineLimit = 160

    static func check(_ input: UnsafeRawBufferPointer) {
        let cut = Int(input.first ?? 0) * (input.count + 1) / 256
        let plans: [[Range<Int>]] = [[0..<input.count], [0..<cut, cut..<input.count], varyingPieces(input)]
        for limit in [ChangeSetDecoder.defaultMaxLineBytes, smallLineLimit] {
            let outcomes = plans.map { decode(input, in: $0, maxLineBytes: limit) }
            for other in outcomes.dropFirst() where other != outcomes[0] {
                fatalError("change-set decoder: feeding the input in pieces changed the outcome: \(outcomes[0]) vs \(other)")
            }
            checkRoundTrip(outcomes[0].items)
        }
    }

    /// Pieces of 1 to 64 bytes, their sizes drawn from a generator seeded by the input.
    static func varyingPieces(_ input: UnsafeRawBufferPointer) -> [Range<Int>] {
        var generator = SeededGenerator(seed: UInt64(input.count) &* 31 &+ UInt64(input.last ?? 0))
        var ranges: [Range<Int>] = []
        var start = 0
        while start < input.count {
            let end = min(input.count, start + Int(generator.next() % 64) + 1)
            ranges.append(start..<end)
            start = end
        }
        return ranges
    }

    static func decode(_ input: UnsafeRawBufferPointer, in pieces: [Range<Int>], maxLineBytes: Int) -> Outcome {
        var decoder = ChangeSetDecoder(maxLineBytes: maxLineBytes)
        var outcome = Outcome()
        do {
            for piece in pieces {
                try decoder.consume(UnsafeRawBufferPointer(rebasing: input[piece])) { outcome.items.append($0) }
            }
            try decoder.finish()
        } catch let error as ChangeSetError {
            outcome.error = error
        } catch {
            fatalError("change-set decoder: threw something other than a ChangeSetError: \(error)")
        }
        return outcome
    }

    /// Writes the items again with `ChangeSetEncoder` and checks they decode to the same items.
    static func checkRoundTrip(_ items: [ChangeSetDecoder.Item]) {
        guard case .header(let header)? = items.first else {
            if !items.isEmpty { fatalError("change-set decoder: an item came before the header: \(items)") }
            return
        }
        guard header.tenant.isEmpty || FieldKind.isSlug(header.tenant) else {
            fatalError("change-set decoder: the header's tenant is not a slug: \(header)")
        }
        var encoder = ChangeSetEncoder(header: header)
        for item in items.dropFirst() {
            guard case .change(let change) = item else { fatalError("change-set decoder: a second header: \(items)") }
            if let problem = change.problem() { fatalError("change-set decoder: handed out an invalid change (\(problem)): \(change)") }
            encoder.append(change)
        }
        encoder.finish()
        let bytes = encoder.takeBytes()
        let again = bytes.withUnsafeBytes { decode($0, in: [0..<$0.count], maxLineBytes: ChangeSetDecoder.defaultMaxLineBytes) }
        guard again == Outcome(items: items, error: nil) else {
            fatalError("change-set encoder: re-encoding \(items) decoded to \(again)")
        }
    }
}
