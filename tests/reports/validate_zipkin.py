"""Validates Zipkin v2 JSON (argv[2]) against ListOfSpans of zipkin2-api.yaml (argv[1]).

Run with Debian's /usr/bin/python3 (python3-jsonschema, python3-yaml). Exit 0 valid,
1 invalid (the first errors printed), 2 unusable input.
"""
import json
import sys

import jsonschema
import yaml


def main():
    with open(sys.argv[1]) as f:
        api = yaml.safe_load(f)
    with open(sys.argv[2]) as f:
        spans = json.load(f)
    schema = {"definitions": api["definitions"], "$ref": "#/definitions/ListOfSpans"}
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = list(validator.iter_errors(spans))
    for error in errors[:5]:
        print("/".join(str(p) for p in error.absolute_path), error.message)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
