#!/usr/bin/env python3
"""Renders one piece of each shipped layout, both sides, at 100 dpi into docs/pages/.

Run from the repository root after `cargo build --release`:  python3 tools/docs-pages.py
Needs Pillow and poppler's pdftoppm. It runs the sample campaign's first three Monday
cycles into a scratch folder (the A4 flyer is first due on the third), takes the first
piece of each layout in the latest cycle that has one, and renders its pages cut to the
trim (no marks), as a print buyer sees the finished piece. The PNGs are committed; this
script is how they were made.
"""
import csv
import glob
import os
import subprocess
import sys
import tempfile

from PIL import Image

DATES = ["2026-11-24", "2026-12-08", "2026-12-22"]
OUT = "docs/pages"
BIN = "target/release/dripmail"


def main():
    if not os.path.exists(BIN):
        sys.exit(f"{BIN} is missing: run `cargo build --release` first")
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for date in DATES:
            subprocess.run(
                [BIN, "run", "samples/autumn/campaign.toml", "--date", date,
                 "--out", f"{tmp}/out", "--ledger", f"{tmp}/ledger.sqlite", "--new-ledger"],
                check=True, stdout=subprocess.DEVNULL)
        first = {}
        for manifest in sorted(glob.glob(f"{tmp}/out/*/*/manifest.csv")):
            folder = os.path.dirname(manifest)
            with open(manifest, encoding="utf-8") as f:
                for row in csv.DictReader(f):
                    first.setdefault(row["layout"], (folder, row))
        for layout, (folder, row) in sorted(first.items()):
            pdf = os.path.join(folder, row["file"])
            start = int(row["first_page"])
            for k, side in enumerate(["front", "back"]):
                page = start + k
                stem = f"{tmp}/{layout}-{side}"
                subprocess.run(
                    ["pdftoppm", "-r", "100", "-png", "-cropbox", "-f", str(page),
                     "-l", str(page), "-singlefile", pdf, stem],
                    check=True)
                trim(pdf, page, f"{stem}.png", f"{OUT}/{layout}-{side}.png")
                print(f"{OUT}/{layout}-{side}.png  ({row['contact_id']}, {row['step']})")


def trim(pdf, page, src, dst):
    """Cuts the rendered MediaBox down to the TrimBox and stores it with 256 colours."""
    info = subprocess.run(["pdfinfo", "-box", "-f", str(page), "-l", str(page), pdf],
                          check=True, capture_output=True, text=True).stdout
    boxes = {}
    for line in info.splitlines():
        parts = line.split()
        if len(parts) == 7 and parts[0] == "Page" and parts[2] in ("MediaBox:", "TrimBox:"):
            boxes[parts[2][:-1]] = [float(v) for v in parts[3:]]
    media, trim_box = boxes["MediaBox"], boxes["TrimBox"]
    scale = 100 / 72
    img = Image.open(src)
    height = img.height
    left = round((trim_box[0] - media[0]) * scale)
    right = round((trim_box[2] - media[0]) * scale)
    top = height - round((trim_box[3] - media[1]) * scale)
    bottom = height - round((trim_box[1] - media[1]) * scale)
    img = img.crop((left, top, right, bottom)).convert("RGB")
    img.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(dst, optimize=True)


if __name__ == "__main__":
    main()
