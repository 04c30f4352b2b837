#!/usr/bin/env python3
"""Renders the pictures of docs/guide.md into docs/guide/: the starter campaign `dripmail init`
writes, its welcome postcard as printed (both sides, cut to the trim) and as a proof.

Run from the repository root after `cargo build --release`:  python3 tools/docs-guide.py
Needs Pillow and poppler's pdftoppm, pdfinfo. The PNGs are committed; this script is how
they were made.
"""
import importlib.util
import os
import subprocess
import sys
import tempfile

BIN = os.path.abspath("target/release/dripmail")
OUT = "docs/guide"

# The trim step of tools/docs-pages.py (its file name is no module name).
spec = importlib.util.spec_from_file_location("docs_pages", "tools/docs-pages.py")
docs_pages = importlib.util.module_from_spec(spec)
spec.loader.exec_module(docs_pages)


def render(pdf, page, dst, tmp):
    stem = os.path.join(tmp, "page")
    subprocess.run(["pdftoppm", "-r", "100", "-png", "-cropbox", "-f", str(page), "-l",
                    str(page), "-singlefile", pdf, stem], check=True)
    docs_pages.trim(pdf, page, f"{stem}.png", dst)
    print(dst)


def main():
    if not os.path.exists(BIN):
        sys.exit(f"{BIN} is missing: run `cargo build --release` first")
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        shop = os.path.join(tmp, "my-shop")
        subprocess.run([BIN, "init", shop], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([BIN, "run", "campaign.toml", "--date", "2026-11-24"], cwd=shop,
                       check=True, stdout=subprocess.DEVNULL)
        pdf = os.path.join(shop, "out/starter/2026-11-24/welcome-postcard-6x4-001.pdf")
        render(pdf, 1, f"{OUT}/welcome-front.png", tmp)
        render(pdf, 2, f"{OUT}/welcome-back.png", tmp)
        subprocess.run([BIN, "proof", "campaign.toml", "--layout", "postcard-6x4",
                        "--count", "1"], cwd=shop, check=True, stdout=subprocess.DEVNULL)
        proof = os.path.join(shop, "out/starter/proofs/welcome-postcard-6x4-proof.pdf")
        render(proof, 2, f"{OUT}/welcome-proof-back.png", tmp)


if __name__ == "__main__":
    main()
