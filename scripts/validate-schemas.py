#!/usr/bin/env python3
"""Validate every stored trace (traces/**/*.json) against schema/racecheck-trace-2.json, and
each schema in schema/ against its metaschema, with Python's jsonschema (a second, standard
validator beside the Rust crate the tests use). Called by .ci/run."""
import glob
import json
import os
import sys

import jsonschema

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
for path in sorted(glob.glob(os.path.join(root, "schema", "*.json"))):
    schema = json.load(open(path))
    jsonschema.validators.validator_for(schema).check_schema(schema)
trace_schema = json.load(open(os.path.join(root, "schema", "racecheck-trace-2.json")))
validator = jsonschema.validators.validator_for(trace_schema)(trace_schema)
bad = 0
files = sorted(glob.glob(os.path.join(root, "traces", "**", "*.json"), recursive=True))
for path in files:
    for err in validator.iter_errors(json.load(open(path))):
        bad += 1
        print(f"{os.path.relpath(path, root)}: {err.message} at {list(err.absolute_path)}")
print(f"validate-schemas: {len(files)} traces, {bad} error(s)")
sys.exit(1 if bad else 0)
