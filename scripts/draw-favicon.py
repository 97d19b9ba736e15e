"""Draws Tessera's own icon (app/static/favicon.svg) as the PNG and ICO files browsers ask for.

The icon is four mosaic tiles on the dashboard's blue; one tile is gold, a card's stamp. The
drawing below and favicon.svg share one 64-unit geometry. Run it after changing either:
`.venv/bin/python scripts/draw-favicon.py`; the outputs are committed.
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

STATIC = Path(__file__).resolve().parents[1] / "app" / "static"
UNITS = 64
BLUE, WHITE, GOLD = (0x1F, 0x3A, 0x5F, 255), (255, 255, 255, 255), (0xF2, 0xB8, 0x4B, 255)
TILES = [((14, 14), WHITE), ((34, 14), WHITE), ((14, 34), WHITE), ((34, 34), GOLD)]
TILE, TILE_RADIUS, CORNER_RADIUS = 16, 3, 14
SUPERSAMPLE = 8  # Pillow's shapes have no anti-aliasing: draw large, then downscale


def draw(size: int, corner_radius: int = CORNER_RADIUS) -> Image.Image:
    scale = size * SUPERSAMPLE / UNITS
    canvas = Image.new("RGBA", (size * SUPERSAMPLE,) * 2, (0, 0, 0, 0))
    pen = ImageDraw.Draw(canvas)
    pen.rounded_rectangle((0, 0, UNITS * scale - 1, UNITS * scale - 1), corner_radius * scale, fill=BLUE)
    for (x, y), colour in TILES:
        box = (x * scale, y * scale, (x + TILE) * scale - 1, (y + TILE) * scale - 1)
        pen.rounded_rectangle(box, TILE_RADIUS * scale, fill=colour)
    return canvas.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    draw(32).save(STATIC / "favicon-32.png", optimize=True)
    # Square: iOS rounds the corners itself and would show transparent ones as black.
    draw(180, corner_radius=0).save(STATIC / "apple-touch-icon.png", optimize=True)
    draw(256).save(STATIC / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])


if __name__ == "__main__":
    main()
