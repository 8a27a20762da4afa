#!/usr/bin/python3
"""Prints {"<relative path>": true|false, ...}: whether each fixture under
FIXTURE_DIR is valid against SCHEMA according to Debian's python3-jsonschema
(Draft 2020-12). A file that is not JSON is invalid. Usage: SCHEMA FIXTURE_DIR"""
import json, os, sys

import jsonschema

schema = json.load(open(sys.argv[1], encoding="utf-8"))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
verdicts = {}
root = sys.argv[2]
for sub in ("valid", "invalid"):
    for name in sorted(os.listdir(os.path.join(root, sub))):
        rel = f"{sub}/{name}"
        try:
            doc = json.load(open(os.path.join(root, rel), encoding="utf-8"))
        except ValueError:
            verdicts[rel] = False
            continue
        verdicts[rel] = validator.is_valid(doc)
json.dump(verdicts, sys.stdout, indent=1)
