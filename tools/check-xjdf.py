#!/usr/bin/env python3
"""Validates dripmail's jobticket.xjdf files against the CIP4 XJDF schema.

    python3 tools/check-xjdf.py XJDF.XSD OUT/CAMPAIGN/DATE/jobticket.xjdf [...]

The schema is CIP4's (https://github.com/cip4/XJDF-Schema, file xjdf.xsd, CIP4 Software
License): it is not shipped with dripmail; fetch it and pass its path. Needs lxml
(`pip install lxml`). Prints each file's errors with their lines; exits 1 if any.
"""
import sys

from lxml import etree


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    schema = etree.XMLSchema(etree.parse(argv[1]))
    failed = 0
    for path in argv[2:]:
        doc = etree.parse(path)
        if schema.validate(doc):
            print(f"{path}: valid")
            continue
        failed += 1
        for e in schema.error_log:
            print(f"{path}:{e.line}: {e.message}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
