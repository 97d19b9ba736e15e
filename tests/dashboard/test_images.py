"""Uploading the logo, icon and strip from the design tab: stored at every scale in one go, or
refused beside the field with nothing stored."""
from __future__ import annotations

import io
import os
import re
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from PIL import Image
from werkzeug.test import encode_multipart

from app.extensions import db
from app.models import Card, Program, ProgramImage
from app.wallet.uploads import UploadRejected, prepare_upload
from tests.conftest import Api, new_merchant
from tests.dashboard.members_helpers import add_cashier, login
from tests.dashboard.test_programs import OWNER, design_form, error_beside
from tests.wallet.test_uploaded_artwork import picture


def post_multipart(client: FlaskClient, program: Program, data: dict[str, Any]) -> Any:
    # Encoded here: the test client spools a large body to a temporary file it never closes.
    boundary, body = encode_multipart(MultiDict(data))
    return client.post(f"/dashboard/programs/{program.id}/design", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def upload(client: FlaskClient, program: Program, **files: tuple[bytes, str] | str) -> Any:
    data: dict[str, Any] = design_form(program)
    for name, value in files.items():
        data[name] = FileStorage(io.BytesIO(value[0]), value[1]) if isinstance(value, tuple) else value
    return post_multipart(client, program, data)


def stored() -> list[tuple[str, int, int, int]]:
    rows = db.session.execute(
        select(ProgramImage.kind, ProgramImage.scale, ProgramImage.width, ProgramImage.height)
        .order_by(ProgramImage.kind, ProgramImage.scale))
    return [(kind, scale, width, height) for kind, scale, width, height in rows]


@pytest.fixture
def rossi(owner: Api, member: dict[str, Any], client: FlaskClient) -> Program:
    login(client, OWNER)
    program = db.session.get(Program, member["program_id"])
    assert program is not None
    return program


def test_a_logo_and_icon_are_stored_at_every_scale_and_cards_update(rossi: Program, client: FlaskClient) -> None:
    version, card_version = rossi.version, db.session.scalar(select(Card.version))
    response = upload(client, rossi, logo=(picture(800, 400), "logo.png"), icon=(picture(200, 200, "JPEG", "RGB"), "i.jpg"))
    assert response.status_code == 302
    assert stored() == [("icon", 1, 29, 29), ("icon", 2, 58, 58), ("icon", 3, 87, 87),
                        ("logo", 1, 100, 50), ("logo", 2, 200, 100), ("logo", 3, 300, 150)]
    db.session.expire_all()
    assert rossi.version > version and db.session.scalar(select(Card.version)) > card_version
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 card will update" in page
    assert 'id="current-logo"' in page and 'id="remove_logo"' in page
    assert re.search(r'id="pv-logo" alt="" src="data:image/png;base64,', page)


@pytest.mark.parametrize(("data", "filename", "message"), [
    (b"just some words, not a picture\n", "logo.png", "not a picture we can read"),
    (picture(120, 40), "small.png", "120×40 pixels; the logo needs at least 150×50"),
    (b"\x89PNG" + b"\x00" * (5 * 1024 * 1024), "huge.png", "larger than 5 MB"),
    (picture(300, 300, "GIF", "P", 1), "logo.gif", "Use PNG, JPEG or WebP"),
])
def test_a_bad_logo_is_refused_beside_its_field_and_nothing_is_stored(
        rossi: Program, client: FlaskClient, data: bytes, filename: str, message: str) -> None:
    version = rossi.version
    form_data = design_form(rossi, name="Nome nuovo")
    form_data["logo"] = FileStorage(io.BytesIO(data), filename)
    form_data["icon"] = FileStorage(io.BytesIO(picture(100, 100)), "icon.png")  # good, but not stored alone
    response = post_multipart(client, rossi, form_data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in error_beside(page, "logo")
    assert 'value="Nome nuovo"' in page
    assert stored() == []
    db.session.expire_all()
    assert rossi.version == version and rossi.name == "Rossi Club"


def test_a_small_strip_says_the_rule(rossi: Program, client: FlaskClient) -> None:
    page = upload(client, rossi, strip=(picture(700, 300), "strip.png")).get_data(as_text=True)
    assert "700×300 pixels; the strip image needs at least 750×246" in error_beside(page, "strip")
    assert "at least 750×246 pixels" in page  # the hint says the rule before anyone fails it


def test_a_body_over_the_route_limit_gets_the_page_not_a_bare_413(app: Flask, rossi: Program,
                                                                 client: FlaskClient) -> None:
    app.config["WTF_CSRF_ENABLED"] = True  # the limit strikes in the CSRF check, before the view
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get(f"/dashboard/programs/{rossi.id}/design").get_data(as_text=True))
    assert token
    blob = b"\x00" * (6 * 1024 * 1024)
    response = upload(client, rossi, csrf_token=token.group(1), logo=(blob, "a.png"), icon=(blob, "b.png"),
                      strip=(blob, "c.png"))
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "Each image may be at most 5 MB" in page and 'id="images-error"' in page and 'id="design-form"' in page
    assert stored() == []


def test_other_pages_keep_the_usual_limit(owner: Api, program: dict[str, Any], client: FlaskClient) -> None:
    login(client, OWNER)
    response = client.post(f"/dashboard/programs/{program['id']}/rules", data={"x": "y" * (2 * 1024 * 1024)})
    assert response.status_code == 413


def test_remove_goes_back_to_the_drawn_image(rossi: Program, client: FlaskClient) -> None:
    upload(client, rossi, logo=(picture(300, 100), "logo.png"), strip=(picture(1000, 400), "s.webp"))
    assert {kind for kind, *_ in stored()} == {"logo", "strip"}
    version = db.session.scalar(select(Program.version).where(Program.id == rossi.id))
    response = upload(client, rossi, remove_logo="1")
    assert response.status_code == 302
    assert {kind for kind, *_ in stored()} == {"strip"}
    assert db.session.scalar(select(Program.version).where(Program.id == rossi.id)) == (version or 0) + 1
    assert db.session.scalar(select(func.count()).select_from(ProgramImage)) == 3


def test_a_new_upload_replaces_the_old_one(rossi: Program, client: FlaskClient) -> None:
    upload(client, rossi, logo=(picture(300, 100), "logo.png"))
    upload(client, rossi, logo=(picture(150, 150), "square.png"))
    assert [row for row in stored() if row[1] == 3] == [("logo", 3, 150, 150)]


def bomb(side: int = 6300) -> bytes:
    """A flat picture of side×side pixels that compresses to a few kilobytes."""
    buffer = io.BytesIO()
    Image.new("P", (side, side), 0).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_decompression_bomb_is_refused_beside_its_field(rossi: Program, client: FlaskClient) -> None:
    data = bomb()
    assert len(data) < 100_000
    response = upload(client, rossi, strip=(data, "strip.png"), icon=(picture(100, 100), "icon.png"))
    assert response.status_code == 422
    message = error_beside(response.get_data(as_text=True), "strip")
    assert "too many pixels to use (at most 16 megapixels, such as 4096×4096)" in message
    assert stored() == []


def test_a_bomb_is_refused_far_faster_than_it_decodes() -> None:
    data = bomb()
    started = time.perf_counter()
    for _ in range(10):
        with pytest.raises(UploadRejected) as refused:
            prepare_upload(data, "strip")
    refusing = (time.perf_counter() - started) / 10
    assert refused.value.reason == "too_many_pixels"
    started = time.perf_counter()
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        image.convert("RGBA")
    decoding = time.perf_counter() - started
    assert refusing * 20 < decoding, (refusing, decoding)


class _CountingStream(io.RawIOBase):
    """A request body of `size` zero bytes that counts what the server reads of it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.position = 0
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True  # the test client measures the body by seeking to its end

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self.position = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence] + offset
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer: Any) -> int:
        count = max(0, min(len(buffer), self.size - self.position))
        buffer[:count] = b"\0" * count
        self.position += count
        self.read_bytes += count
        return count


@pytest.mark.parametrize("who", ["anonymous", "cashier", "another owner"])
def test_a_large_body_from_anyone_but_the_owner_is_refused_unread(app: Flask, owner: Api, member: dict[str, Any],
                                                                   runner: Any, client: FlaskClient, who: str) -> None:
    if who == "cashier":
        login(client, add_cashier())
    elif who == "another owner":
        new_merchant(runner, "Bar Verdi", "owner@verdi.example")
        login(client, "owner@verdi.example")
    app.config["WTF_CSRF_ENABLED"] = True  # as in production: the CSRF check reads the form first
    size = 16 * 1024 * 1024
    body = _CountingStream(size)
    response = client.post(f"/dashboard/programs/{member['program_id']}/design", input_stream=body,
                           content_length=size, content_type="multipart/form-data; boundary=x")
    assert response.status_code == 413
    assert body.read_bytes == 0


def test_the_owners_five_megabyte_upload_is_accepted(rossi: Program, client: FlaskClient) -> None:
    noise = Image.frombytes("RGB", (1290, 1290), os.urandom(1290 * 1290 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, format="PNG")
    data = buffer.getvalue()
    assert 4.5 * 1024 * 1024 < len(data) <= 5 * 1024 * 1024
    response = upload(client, rossi, strip=(data, "strip.png"))
    assert response.status_code == 302
    assert [row[:2] for row in stored()] == [("strip", 1), ("strip", 2), ("strip", 3)]
