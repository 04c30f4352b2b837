#!/usr/bin/env python3
"""Writes the sample campaign's CSVs (samples/autumn/) deterministically.

Run from the repository root: python3 tools/make-sample.py
About 200 contacts, US and Italian, with accented names, a household duplicate, a few bad
rows for rejects.csv, events that exercise the cart trigger and the exits, and a
do-not-mail list. The CSVs are committed; this script is how they were made.
"""
import csv
import datetime
import io
import random

rng = random.Random(2026)
OUT = "samples/autumn/"

US_FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
            "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Chris", "Karen",
            "José", "Zoë", "Renée", "André", "Chloé", "Noël"]
US_LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
           "Hernández", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
           "O'Brien", "Nguyen", "Müller", "Peña"]
US_PLACES = [("Springfield", "IL", "62701"), ("Chicago", "IL", "60614"), ("Boston", "MA", "02134"),
             ("New York", "NY", "10001"), ("Austin", "TX", "78701"), ("Denver", "CO", "80202"),
             ("Seattle", "WA", "98101"), ("Portland", "OR", "97205"), ("Madison", "WI", "53703"),
             ("Columbus", "OH", "43215"), ("Nashville", "TN", "37203"), ("Santa Fe", "NM", "87501")]
US_STREETS = ["Main St", "Oak Ave", "Maple Street", "Cedar Ln", "Elm Street", "Washington Blvd", "Lake Dr",
              "Park Avenue", "2nd St", "Sunset Blvd", "Hillcrest Rd", "River Road"]
IT_FIRST = ["Giulia", "Francesca", "Chiara", "Sara", "Martina", "Marco", "Luca", "Andrea", "Matteo", "Nicolò",
            "Niccolò", "Gabriele", "Federica", "Ilaria", "Lorenzo", "Tommaso", "Alessandra", "Beatrice"]
IT_LAST = ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco",
           "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Lombardi", "Fabbri", "Zanè"]
IT_PLACES = [("Milano", "MI", "20121"), ("Roma", "RM", "00184"), ("Torino", "TO", "10123"),
             ("Firenze", "FI", "50122"), ("Bologna", "BO", "40125"), ("Napoli", "NA", "80133"),
             ("Venezia", "VE", "30124"), ("Genova", "GE", "16123"), ("Verona", "VR", "37121")]
IT_STREETS = ["Via Garibaldi", "Via Roma", "Corso Vittorio Emanuele II", "Piazza della Signoria", "Via Mazzini",
              "Viale dei Mille", "Via dell'Indipendenza", "Corso Buenos Aires", "Via Po"]
SEGMENTS = ["retail"] * 6 + ["vip"] * 2 + ["wholesale"] * 2

start = datetime.date(2026, 9, 1)
rows = []
for i in range(1, 201):
    italian = i % 4 == 0
    if italian:
        first, last = rng.choice(IT_FIRST), rng.choice(IT_LAST)
        city, prov, cap = rng.choice(IT_PLACES)
        street = f"{rng.choice(IT_STREETS)} {rng.randint(1, 120)}"
        address2 = rng.choice(["", "", "", "Scala B", "Interno 4"])
        country = "IT"
        zip_code = cap
    else:
        first, last = rng.choice(US_FIRST), rng.choice(US_LAST)
        city, prov, zip_code = rng.choice(US_PLACES)
        street = f"{rng.randint(10, 9999)} {rng.choice(US_STREETS)}"
        address2 = rng.choice(["", "", "", "", "Apt 4B", "Suite 210", "Unit 7"])
        country = rng.choice(["US", "US", "US", ""])  # blank: the campaign's country
    company = rng.choice(["", "", "", "", "", "Acme Supply Co.", "Trattoria da Mario", "Northwind Traders"])
    enrolled = start + datetime.timedelta(days=rng.randint(0, 95))
    rows.append({
        "Customer ID": str(1000 + i),
        "first_name": first,
        "last_name": last,
        "company": company,
        "address1": street,
        "address2": address2,
        "city": city,
        "state": prov,
        "postal_code": zip_code,
        "country": country,
        "enrolled_on": enrolled.isoformat(),
        "segment": rng.choice(SEGMENTS),
        "email": f"{first.lower()}.{last.lower()}@example.com".replace(" ", "").replace("'", ""),
    })

early = [r for r in rows if r["enrolled_on"] < "2026-11-01" and r["country"] != "IT"]
# A household duplicate: same last name and address as an early contact, another first name, higher id.
dup = dict(early[0])
dup.update({"Customer ID": "1201", "first_name": "Sam", "address1": dup["address1"].upper() + "."})
rows.append(dup)

header = list(rows[0].keys())
bad = [
    "1202,Ann,Lee,,,,Springfield,IL,62701,US,2026-10-01,retail,ann@example.com",      # no street
    "1203,Bea,Kay,,12 Oak Ave,,Springfield,IL,62701,US,01/10/2026,retail,bea@example.com",  # not ISO date
    "1010,Cal,Poe,,5 Elm Street,,Denver,CO,80202,US,2026-10-02,retail,cal@example.com",  # id used twice
    "1204,Dee,Fox,,9 Lake Dr,,Austin,TX,,US,2026-10-03,vip,dee@example.com",           # no postal code
    "1205,Eve,Ray,12 Main St,Madison",                                                   # short row
    "1206,Flo,Kim,,7 Cedar Ln,,Madison,WI,5370,US,2026-10-04,retail,flo@example.com",  # 4-digit ZIP
    "1207,Gino,Neri,,Via Po 3,,Torino,TO,1012,IT,2026-10-05,retail,gino@example.com",  # 4-digit CAP
]
buf = io.StringIO()
w = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
w.writeheader()
for r in rows:
    w.writerow(r)
text = buf.getvalue() + "\n".join(bad) + "\n"
with open(OUT + "contacts.csv", "w", encoding="utf-8-sig", newline="") as f:
    f.write(text)

events = []
ids = [r["Customer ID"] for r in rows[:200]]
for cid in rng.sample(ids, 30):
    enrolled = datetime.date.fromisoformat(next(r for r in rows if r["Customer ID"] == cid)["enrolled_on"])
    day = enrolled + datetime.timedelta(days=rng.randint(0, 40))
    events.append((cid, "added_to_cart", day.isoformat(), "web"))
for cid in rng.sample(ids, 14):
    day = start + datetime.timedelta(days=rng.randint(10, 95))
    events.append((cid, "purchased", day.isoformat(), "store"))
for cid in rng.sample(ids, 4):
    day = start + datetime.timedelta(days=rng.randint(10, 80))
    events.append((cid, "unsubscribed", day.isoformat(), "email"))
for cid in rng.sample(ids, 10):
    day = start + datetime.timedelta(days=rng.randint(0, 80))
    events.append((cid, "page_view", day.isoformat(), "web"))
events.sort(key=lambda e: (e[2], e[0]))
with open(OUT + "events.csv", "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["contact_id", "event", "date", "channel"])
    w.writerows(events)
    w.writerow(["9999", "added_to_cart", "2026-10-01", "web"])   # unknown contact
    w.writerow(["1001", "purchased", "last tuesday", "store"])   # bad date

with open(OUT + "do-not-mail.csv", "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["id", "address1", "postal_code", "note"])
    for cid in ["1007", "1042", "1150"]:
        w.writerow([cid, "", "", "asked not to be mailed"])
    r = early[5]
    w.writerow(["", r["address1"].replace("Street", "St").replace("Avenue", "Ave"), r["postal_code"], "moved away"])
print("wrote", len(rows) + len(bad), "contact rows,", len(events) + 2, "events")
