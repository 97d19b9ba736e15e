"""The shop's logo and icon on its public pages: the logo in its own proportions with the stored
image's pixel size, the icon as the favicon; Tessera's icon everywhere else and at /favicon.ico."""
from __future__ import annotations

import html as markup
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Program, ProgramImage
from app.wallet.program_art import store_images
from app.wallet.uploads import prepare_upload
from tests.conftest import Api
from tests.dashboard.members_helpers import login
from tests.dashboard.test_programs import OWNER
from tests.enrollment.helpers import EN, join
from tests.wallet.test_uploaded_artwork import picture, size

STATIC = Path(__file__).resolve().parents[2] / "app" / "static"
TESSERA_ICON_LINK = '<link rel="icon" type="image/svg+xml" href="/favicon.svg">'


def upload(program: dict[str, Any], kind: str, width: int, height: int, color: Any = (200, 30, 40, 128)) -> Program:
    row = db.session.get(Program, program["id"])
    assert row is not None
    store_images(row, kind, prepare_upload(picture(width, height, color=color), kind))
    db.session.commit()
    return row


def stored(program: dict[str, Any], kind: str) -> ProgramImage:
    image = db.session.scalar(select(ProgramImage).where(
        ProgramImage.program_id == program["id"], ProgramImage.kind == kind, ProgramImage.scale == 3))
    assert image is not None
    return image


def card_page(client: FlaskClient, slug: str) -> str:
    joined = join(client, slug, EN, email=f"anna.{uuid.uuid4().hex[:8]}@example.com")  # a newcomer sees the card
    assert joined.status_code == 303, joined.text
    response = client.get(joined.headers["Location"], headers=EN)
    assert response.status_code == 200
    return response.text


def shop_pages(client: FlaskClient, slug: str) -> dict[str, str]:
    pages = {"join": client.get(f"/join/{slug}", headers=EN).text, "poster": client.get(f"/join/{slug}/poster").text}
    pages["card"] = card_page(client, slug)
    return pages


def logo_tags(page: str) -> list[dict[str, str]]:
    """The attributes of every <img> whose source is the shop's logo."""
    tags = [dict(re.findall(r'(\w+)="([^"]*)"', tag)) for tag in re.findall(r"<img\s[^>]*>", page)]
    return [tag for tag in tags if "/logo.png" in tag["src"] or tag["src"].startswith("data:image/png")]


def test_a_wide_logo_is_shown_at_the_stored_images_size_on_every_shop_page(
    client: FlaskClient, program: dict[str, Any]
) -> None:
    upload(program, "logo", 600, 200)  # 3:1, fitted into the pass's 160×50 box: 450×150 at 3x
    image = stored(program, "logo")
    assert (image.width, image.height) == (450, 150)
    for name, page in shop_pages(client, program["slug"]).items():
        [tag] = logo_tags(page)
        assert (tag["width"], tag["height"]) == ("450", "150"), name
        src = markup.unescape(tag["src"])
        assert src == f"/join/{program['slug']}/logo.png?v={image.sha1[:12]}", name
        served = client.get(src)
        assert served.status_code == 200 and served.data == image.data and size(served.data) == (450, 150)
    # Scaled by CSS within a box, never stretched to a fixed square.
    assert "max-height:50px;width:auto;height:auto;object-fit:contain" in shop_pages(client, program["slug"])["join"]


def test_a_new_logo_gets_a_new_address_so_no_cached_copy_hides_it(client: FlaskClient, program: dict[str, Any]) -> None:
    upload(program, "logo", 600, 200)
    before = logo_tags(client.get(f"/join/{program['slug']}/poster").text)[0]["src"]
    upload(program, "logo", 400, 200, color=(10, 200, 40, 255))
    after = logo_tags(client.get(f"/join/{program['slug']}/poster").text)[0]
    assert after["src"] != before and (after["width"], after["height"]) == ("300", "150")


def test_without_an_upload_the_pages_show_the_drawn_badge_at_its_size(client: FlaskClient, program: dict[str, Any]) -> None:
    pages = shop_pages(client, program["slug"])
    for name in ("join", "card"):
        [tag] = logo_tags(pages[name])
        assert tag["src"].startswith("data:image/png;base64,") and (tag["width"], tag["height"]) == ("100", "100")
    [tag] = logo_tags(pages["poster"])
    assert (tag["src"], tag["width"], tag["height"]) == (f"/join/{program['slug']}/logo.png", "240", "240")


def test_shop_pages_wear_the_shops_icon_as_their_favicon(client: FlaskClient, program: dict[str, Any]) -> None:
    upload(program, "icon", 200, 200)
    icon = stored(program, "icon")
    href = f"/join/{program['slug']}/icon.png?v={icon.sha1[:12]}"
    for name, page in shop_pages(client, program["slug"]).items():
        assert f'<link rel="icon" type="image/png" sizes="87x87" href="{href}">' in markup.unescape(page), name
        assert f'<link rel="apple-touch-icon" href="{href}">' in markup.unescape(page), name
        assert TESSERA_ICON_LINK not in page, name
    assert client.get(href).data == icon.data


def test_without_its_own_icon_a_shop_page_wears_tesseras(client: FlaskClient, program: dict[str, Any]) -> None:
    for name, page in shop_pages(client, program["slug"]).items():
        assert TESSERA_ICON_LINK in page and '<link rel="apple-touch-icon" href="/apple-touch-icon.png">' in page, name
        assert "/icon.png" not in page, name


@pytest.mark.parametrize("path", ["/dashboard/login", "/join/no-such-shop", "/no-such-page"])
def test_other_pages_wear_tesseras_icon(client: FlaskClient, path: str) -> None:
    response = client.get(path, headers=EN)
    assert response.mimetype == "text/html"
    assert TESSERA_ICON_LINK in response.text
    assert '<link rel="icon" type="image/png" sizes="32x32" href="/favicon-32.png">' in response.text


def test_dashboard_pages_wear_tesseras_icon_even_for_a_shop_with_its_own(
    owner: Api, client: FlaskClient, program: dict[str, Any]
) -> None:
    upload(program, "icon", 200, 200)
    login(client, OWNER)
    response = client.get(f"/dashboard/programs/{program['id']}")
    assert response.status_code == 200
    page = response.text
    assert TESSERA_ICON_LINK in page and "/icon.png" not in page


@pytest.mark.parametrize(("name", "mimetype", "signature"), [
    ("favicon.svg", "image/svg+xml", b"<svg"),
    ("favicon-32.png", "image/png", b"\x89PNG"),
    ("apple-touch-icon.png", "image/png", b"\x89PNG"),
])
def test_tesseras_icon_files_are_served(client: FlaskClient, name: str, mimetype: str, signature: bytes) -> None:
    response = client.get(f"/{name}")
    assert response.status_code == 200 and response.mimetype == mimetype
    assert response.data.startswith(signature) and response.data == (STATIC / name).read_bytes()
    assert "max-age=604800" in response.headers["Cache-Control"]
    again = client.get(f"/{name}", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_favicon_ico_is_tesseras_icon_never_a_404(client: FlaskClient) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO directory
    assert response.data == (STATIC / "favicon.ico").read_bytes()
    assert "max-age=604800" in response.headers["Cache-Control"]
    response.close()


def test_the_icon_route_serves_the_uploaded_bytes_with_caching_headers(client: FlaskClient, program: dict[str, Any]) -> None:
    upload(program, "icon", 300, 300)
    response = client.get(f"/join/{program['slug']}/icon.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data == stored(program, "icon").data and size(response.data) == (87, 87)
    assert "public" in response.headers["Cache-Control"] and "max-age=86400" in response.headers["Cache-Control"]
    again = client.get(f"/join/{program['slug']}/icon.png", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_another_shops_icon_never_leaks_and_an_unknown_shop_is_404(
    client: FlaskClient, owner: Api, program: dict[str, Any]
) -> None:
    upload(program, "icon", 300, 300)
    other = owner.post("/programs", {"name": "Gelateria Blu"}).get_json()
    answer = client.get(f"/join/{other['slug']}/icon.png")
    assert answer.status_code == 200 and answer.mimetype == "image/png"
    assert answer.data == (STATIC / "apple-touch-icon.png").read_bytes()  # Tessera's, not Rossi's
    for name, page in shop_pages(client, other["slug"]).items():
        assert program["slug"] not in page and TESSERA_ICON_LINK in page, name
    assert client.get("/join/no-such-shop/icon.png").status_code == 404
