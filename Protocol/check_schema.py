#!/usr/bin/env python3
"""Validates every line of the good change-sets in Fixtures/ and Protocol/vectors/ against
changeset.schema.json, and checks that the schema refuses the malformed fixtures it can see
(those whose fault is in one line's shape, not in bytes, counts or checksums).
Usage: python3 Protocol/check_schema.py  (needs the jsonschema package)."""
import json
import pathlib
import sys

import jsonschema

root = pathlib.Path(__file__).resolve().parent.parent
schema = json.loads((root / "Protocol" / "changeset.schema.json").read_text())
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)

good = sorted((root / "Fixtures" / "sample").glob("*.changeset")) + sorted((root / "Fixtures" / "changesets").glob("*.changeset"))
for vector in sorted((root / "Protocol" / "vectors").iterdir()):
    expected = vector / "expected.json"
    if expected.exists() and "state" in json.loads(expected.read_text()):
        good += sorted(vector.glob("*.changeset"))

lines = 0
for path in good:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        errors = list(validator.iter_errors(json.loads(line)))
        if errors:
            sys.exit(f"{path.relative_to(root)}:{number}: {errors[0].message}")
        lines += 1

shape_faults = ["unknown-collection", "unknown-field", "bad-type", "wrong-version", "wrong-format", "bad-hlc", "bad-uuid"]
for name in shape_faults:
    path = root / "Fixtures" / "malformed" / f"{name}.changeset"
    if all(validator.is_valid(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()):
        sys.exit(f"the schema accepts {path.relative_to(root)}")

# Negative vectors whose fault is a line's shape: the schema refuses them too.
vector_faults = ["refuse-unknown-field", "refuse-wrong-version", "refuse-null-category-slug"]
for name in vector_faults:
    (path,) = (root / "Protocol" / "vectors").glob(f"*-{name}/1.changeset")
    if all(validator.is_valid(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()):
        sys.exit(f"the schema accepts {path.relative_to(root)}")

print(f"schema: {lines} lines of {len(good)} good change-sets valid, {len(shape_faults) + len(vector_faults)} malformed refused")
