"""The QR poster: the codes decode to the join link, the page carries the shop and the link."""
from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import zxingcpp
from flask.testing import FlaskClient
from PIL import Image, ImageDraw

from app.poster.qr import PRINT_PIXELS, qr_png
from tests.conftest import Api

SVG_NS = "{http://www.w3.org/2000/svg}"


def decode(image: Image.Image) -> str:
    """What a phone's camera would read: a real QR decoder, not our own encoder run backwards."""
    results = zxingcpp.read_barcodes(image)
    assert len(results) == 1, results
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    return str(results[0].text)


def rasterise_svg(svg: bytes, scale: int = 10) -> Image.Image:
    """Draw the SVG's module squares (`M x,y H x+1 V y+1 H x z`) on white, as a renderer would."""
    root = ET.fromstring(svg)
    width, height = (int(float(v)) for v in root.attrib["viewBox"].split()[2:])
    image = Image.new("L", (width * scale, height * scale), 255)
    draw = ImageDraw.Draw(image)
    (path,) = root.iter(f"{SVG_NS}path")
    squares = re.findall(r"M(\d+),(\d+)H\d+V\d+H\d+z", path.attrib["d"])
    assert squares, "the path draws no module"
    for x, y in ((int(x), int(y)) for x, y in squares):
        draw.rectangle((x * scale, y * scale, (x + 1) * scale - 1, (y + 1) * scale - 1), fill=0)
    return image


def test_png_decodes_to_the_join_link_and_is_big_enough_to_print(client: FlaskClient, program: dict[str, Any]) -> None:
    response = client.get(f"/join/{program['slug']}/qr.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert image.format == "PNG"
    assert min(image.size) >= PRINT_PIXELS
    assert decode(image) == program["enroll_url"] == f"http://tessera.test/join/{program['slug']}"


def test_svg_is_a_white_square_whose_modules_decode_to_the_join_link(
    client: FlaskClient, program: dict[str, Any]
) -> None:
    response = client.get(f"/join/{program['slug']}/qr.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{SVG_NS}svg"
    background = root.find(f"{SVG_NS}rect")
    assert background is not None and background.attrib["fill"] == "white"
    assert decode(rasterise_svg(response.data)) == program["enroll_url"]


@pytest.mark.parametrize("path", ["qr.svg", "qr.png", "logo.png"])
def test_images_are_cacheable_and_revalidate_with_304(client: FlaskClient, program: dict[str, Any], path: str) -> None:
    first = client.get(f"/join/{program['slug']}/{path}")
    assert first.status_code == 200
    assert "public" in first.headers["Cache-Control"]
    assert "max-age=86400" in first.headers["Cache-Control"]
    etag = first.headers["ETag"]
    again = client.get(f"/join/{program['slug']}/{path}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""


def test_the_code_follows_a_new_slug(client: FlaskClient, owner: Api, program: dict[str, Any]) -> None:
    response = owner.patch(f"/programs/{program['id']}", {"slug": "rossi-nuovo"})
    assert response.status_code == 200, response.get_json()
    image = Image.open(io.BytesIO(client.get("/join/rossi-nuovo/qr.png").data))
    assert decode(image) == "http://tessera.test/join/rossi-nuovo"
    assert client.get(f"/join/{program['slug']}/qr.png").status_code == 404


def test_logo_is_the_programs_badge_in_its_colours(client: FlaskClient, owner: Api) -> None:
    created = owner.post("/programs", {"name": "Gelateria", "organization_name": "Gelateria Blu",
                                       "colors": {"background": "#102030", "foreground": "#f0e0d0"}})
    assert created.status_code == 201, created.get_json()
    response = client.get(f"/join/{created.get_json()['slug']}/logo.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data)).convert("RGBA")
    assert image.size == (240, 240)
    # The badge is filled with the foreground colour; its initials are drawn in the background one.
    assert image.getpixel((120, 8)) == (0xF0, 0xE0, 0xD0, 255)
    assert (0x10, 0x20, 0x30, 255) in {colour for _, colour in image.getcolors(240 * 240) or []}


def test_poster_carries_the_shop_the_qr_and_the_link(client: FlaskClient, program: dict[str, Any]) -> None:
    response = client.get(f"/join/{program['slug']}/poster")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    slug = program["slug"]
    assert "Caffè Rossi" in html  # the merchant's name is the default organization name
    assert f'href="{program["enroll_url"]}"' in html
    assert f">tessera.test/join/{slug}</a>" in html
    assert f'src="/join/{slug}/qr.svg"' in html
    assert f'src="/join/{slug}/logo.png"' in html
    assert '<html lang="it">' in html
    assert "Inquadra il codice" in html
    assert "@page { size: A4;" in html


def test_poster_speaks_the_programs_language_and_wears_its_colours(client: FlaskClient, owner: Api) -> None:
    created = owner.post("/programs", {
        "name": "Bakery Club", "organization_name": "Rye & Co", "locale": "en",
        "colors": {"background": "rgb(10,20,30)", "foreground": "#ffffff", "label": "#AABBCC"},
    })
    assert created.status_code == 201, created.get_json()
    html = client.get(f"/join/{created.get_json()['slug']}/poster").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Point your camera at the code" in html
    assert "Rye &amp; Co" in html
    assert "--bg: #0a141e; --fg: #ffffff; --label: #aabbcc;" in html


@pytest.mark.parametrize("path", ["poster", "qr.svg", "qr.png", "logo.png"])
def test_unknown_program_is_404(client: FlaskClient, program: dict[str, Any], path: str) -> None:
    response = client.get(f"/join/no-such-shop/{path}")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_long_links_still_print_at_least_600_pixels() -> None:
    link = "https://loyalty.example-shop-with-a-long-domain.com/join/" + "a" * 60
    image = Image.open(io.BytesIO(qr_png(link)))
    assert min(image.size) >= PRINT_PIXELS
    assert decode(image) == link
