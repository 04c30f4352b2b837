#!/usr/bin/env python3
"""Writes data/countries.csv, the country table dripmail normalises contact countries with.

Sources (see data/README.md for their licences):
  country-codes.csv  datasets/country-codes, data/country-codes.csv (ODC PDDL 1.0):
                     ISO 3166-1 alpha-2 and alpha-3, CLDR English display names, official
                     English names, UNTERM English short names
  it.csv             umpirsky/country-list, data/it/country.csv (MIT; names from Unicode CLDR):
                     Italian names

Usage: tools/make-countries.py country-codes.csv it.csv > data/countries.csv
"""
import csv
import sys


def english(cldr: str, code: str) -> str:
    """The name printed on the country line of mail to that country: CLDR's short English name,
    spelled out where CLDR abbreviates."""
    fixed = {"US": "United States", "GB": "United Kingdom", "BA": "Bosnia and Herzegovina"}
    name = fixed.get(code, cldr)
    return name.replace(" & ", " and ").replace("St. ", "Saint ")


def main() -> None:
    codes = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
    italian = {r["id"]: r["value"] for r in csv.DictReader(open(sys.argv[2], encoding="utf-8"))}
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["alpha2", "alpha3", "english", "italian", "aliases"])
    for r in sorted(codes, key=lambda r: r["ISO3166-1-Alpha-2"]):
        a2 = r["ISO3166-1-Alpha-2"]
        if not a2:
            continue
        name = english(r["CLDR display name"], a2)
        aliases = []
        for other in (r["CLDR display name"], r["official_name_en"], r["UNTERM English Short"]):
            other = other.replace(" (the)", "").rstrip(" *").strip()
            if other and other != name and other not in aliases:
                aliases.append(other)
        out.writerow([a2, r["ISO3166-1-Alpha-3"], name, italian.get(a2, name), "|".join(aliases)])


if __name__ == "__main__":
    main()
