#!/usr/bin/env python3
"""Draws the shipped front art (300 dpi, bleed included) deterministically.

Run from the repository root: python3 tools/make-art.py
Needs Pillow. The output JPEGs are committed; this script is how they were made.
"""
import math
import random
from PIL import Image, ImageDraw, ImageFilter, ImageFont

DPI = 300
SERIF_BOLD = "fonts/LiberationSerif-Bold.ttf"
SERIF = "fonts/LiberationSerif-Regular.ttf"


def leaf(draw, cx, cy, size, angle, colour):
    """A simple leaf: a pointed ellipse with a vein."""
    pts = []
    for i in range(64):
        t = 2 * math.pi * i / 64
        x = math.cos(t) * size
        y = math.sin(t) * size * 0.45 * (1 - 0.35 * math.cos(t))
        pts.append((x, y))
    ca, sa = math.cos(angle), math.sin(angle)
    rot = [(cx + x * ca - y * sa, cy + x * sa + y * ca) for x, y in pts]
    draw.polygon(rot, fill=colour)
    vx, vy = size * 0.9 * ca, size * 0.9 * sa
    draw.line([(cx - vx, cy - vy), (cx + vx, cy + vy)], fill=(90, 40, 20), width=max(2, int(size / 30)))


def art(path, w_in, h_in, bleed_in, title, subtitle, seed, palette):
    w, h = round(w_in * DPI), round(h_in * DPI)
    rng = random.Random(seed)
    img = Image.new("RGB", (w, h))
    top, bottom = palette
    px = img.load()
    for y in range(h):
        f = y / (h - 1)
        row = tuple(int(top[i] * (1 - f) + bottom[i] * f) for i in range(3))
        for x in range(w):
            px[x, y] = row
    draw = ImageDraw.Draw(img)
    colours = [(214, 104, 38), (178, 58, 32), (232, 170, 52), (140, 70, 30), (196, 136, 44)]
    for _ in range(int(w * h / 60000)):
        size = rng.uniform(0.05, 0.16) * min(w, h)
        leaf(draw, rng.uniform(0, w), rng.uniform(0, h), size, rng.uniform(0, math.pi), rng.choice(colours))
    img = img.filter(ImageFilter.GaussianBlur(radius=3))
    draw = ImageDraw.Draw(img)
    # A cream panel inside the safety area carries the title.
    b = bleed_in * DPI
    safe = b + 0.25 * DPI
    pw, ph = w - 2 * safe, min(h * 0.36, 1.6 * DPI)
    py = h / 2 - ph / 2
    draw.rounded_rectangle([safe, py, safe + pw, py + ph], radius=int(0.08 * DPI), fill=(251, 244, 230), outline=(120, 50, 25), width=6)
    tsize = int(ph * 0.42)
    font = ImageFont.truetype(SERIF_BOLD, tsize)
    while draw.textlength(title, font=font) > pw * 0.9:
        tsize -= 4
        font = ImageFont.truetype(SERIF_BOLD, tsize)
    # The title and subtitle are not drawn into the art: the layouts set them as live text
    # (CMYK, sharp at any resolution; a raster grey would print as four-colour grey). This
    # prints where they go, in inches from the trim's top-left corner and points.
    to_in = lambda v: v / DPI - bleed_in
    print(
        f"{path}: panel x {to_in(safe):.3f} y {to_in(py):.3f} w {pw / DPI:.3f} h {ph / DPI:.3f}; "
        f"title centre y {to_in(py + ph * 0.38):.3f} size {tsize / DPI * 72:.1f} pt ({title}); "
        f"subtitle centre y {to_in(py + ph * 0.76):.3f} size {int(tsize * 0.45) / DPI * 72:.1f} pt ({subtitle})"
    )
    img.save(path, "JPEG", quality=86, dpi=(DPI, DPI), optimize=True)
    print(path, w, "x", h)


if __name__ == "__main__":
    autumn = ((250, 214, 150), (196, 92, 40))
    dusk = ((235, 190, 160), (120, 50, 60))
    art("layouts/art/postcard-6x4-front.jpg", 6.25, 4.25, 0.125, "Bottega Verde", "Autumn collection", 1, autumn)
    art("layouts/art/postcard-6x9-front.jpg", 9.25, 6.25, 0.125, "Bottega Verde", "Autumn collection", 2, autumn)
    art("layouts/art/flyer-letter-front.jpg", 8.75, 11.25, 0.125, "Bottega Verde", "The fall catalog", 3, autumn)
    # A4 with the same 0.125 in (3.175 mm) bleed as the US layouts.
    art("layouts/art/flyer-a4-front.jpg", 210 / 25.4 + 0.25, 297 / 25.4 + 0.25, 0.125, "Bottega Verde", "Il catalogo d’autunno", 4, autumn)
    art("samples/autumn/art/cart-rescue-front.jpg", 9.25, 6.25, 0.125, "Still thinking?", "Your basket is waiting", 5, dusk)
