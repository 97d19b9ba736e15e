from __future__ import annotations

import io

import pytest
from PIL import Image

from passes.apple import default_images, initials
from passes.apple.artwork import LOGO_POINTS


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Caffè Rossi", "CR"), ("gelateria", "G"), ("Bar & Co.", "BC"), ("  ", "?"), ("forno  di   via roma", "FD")],
)
def test_initials(name: str, expected: str) -> None:
    assert initials(name) == expected


def test_sizes_for_every_density() -> None:
    images = default_images("CR", "#6b3e26", "rgb(255, 244, 230)")
    assert sorted(images) == ["icon.png", "icon@2x.png", "icon@3x.png", "logo.png", "logo@2x.png", "logo@3x.png"]
    for scale, suffix in ((1, ""), (2, "@2x"), (3, "@3x")):
        with Image.open(io.BytesIO(images[f"icon{suffix}.png"])) as icon:
            assert icon.format == "PNG" and icon.size == (29 * scale, 29 * scale)
        with Image.open(io.BytesIO(images[f"logo{suffix}.png"])) as logo:
            assert logo.size == (LOGO_POINTS[0] * scale, LOGO_POINTS[1] * scale)
            assert logo.size[0] <= 160 * scale and logo.size[1] <= 50 * scale


def test_colours_are_the_programs() -> None:
    images = default_images("CR", "#6b3e26", "#fff4e6")
    with Image.open(io.BytesIO(images["icon@3x.png"])) as icon:
        assert icon.convert("RGB").getpixel((2, 2)) == (0x6B, 0x3E, 0x26)
    with Image.open(io.BytesIO(images["logo@3x.png"])) as logo:
        rgba = logo.convert("RGBA")
        assert rgba.getpixel((0, 0))[3] == 0  # rounded corner stays transparent
        assert rgba.getpixel((75, 3)) == (0xFF, 0xF4, 0xE6, 255)


def test_output_is_cached_and_deterministic() -> None:
    first = default_images("CR", "#6b3e26", "#fff4e6")
    again = default_images("CR", "rgb(107, 62, 38)", "#FFF4E6")  # same colours, other spelling
    assert first["icon.png"] is again["icon.png"]
    from passes.apple.artwork import icon_png

    assert icon_png("CR", (107, 62, 38), (255, 244, 230), 58) == first["icon@2x.png"]
    with pytest.raises(TypeError):
        first["icon.png"] = b""  # type: ignore[index]
