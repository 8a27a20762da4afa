#!/usr/bin/python3
"""Prints {"<relative path>": true|false, ...}: whether each fixture under
FIXTURE_DIR is valid against SCHEMA according to Debian's python3-jsonschema
(Draft 2020-12). A file that is not JSON is invalid. With EXPECTATIONS (a
stage's expectations.json), a fixture must also agree with the report it
follows, as lifeline checks it: the same category, the same report id, a
revision no later than the latest; that is validated as a second schema made
of const/maximum keywords. Usage: SCHEMA FIXTURE_DIR [EXPECTATIONS]"""
import json, os, sys

import jsonschema


def report_schema(ref):
    props = {"category": {"const": ref["category"]}}
    if "id" in ref:
        props["report_id"] = {"const": ref["id"]}
    if "latest_revision" in ref:
        props["report_revision"] = {"maximum": ref["latest_revision"]}
    return {"properties": props}


schema = json.load(open(sys.argv[1], encoding="utf-8"))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
expectations = json.load(open(sys.argv[3], encoding="utf-8")) if len(sys.argv) > 3 else {}
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
        ok = validator.is_valid(doc)
        ref = expectations.get(rel, {}).get("report")
        if ok and ref is not None:
            ok = jsonschema.Draft202012Validator(report_schema(ref)).is_valid(doc)
        verdicts[rel] = ok
json.dump(verdicts, sys.stdout, indent=1)
