"""Uploaded logo, icon and strip: checked by content, drawn at 1x/2x/3x, carried by every pass."""
from __future__ import annotations

import io
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.models import Program, ProgramImage
from app.wallet.apple import _artwork
from app.wallet.program_art import remove_images, store_images, uploaded_images
from app.wallet.uploads import UploadRejected, prepare_upload
from passes.apple.artwork import default_images, initials
from tests.conftest import Api
from tests.support.phone import check_pkpass_like_a_phone


def picture(width: int, height: int, fmt: str = "PNG", mode: str = "RGBA", color: Any = (200, 30, 40, 128)) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height), color).save(buffer, format=fmt)
    return buffer.getvalue()


def size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def test_logo_is_fitted_inside_its_box_at_every_scale() -> None:
    images = prepare_upload(picture(600, 300), "logo")  # 2:1 inside a 160x50 box: height-bound
    assert [(i.scale, i.width, i.height) for i in images] == [(1, 100, 50), (2, 200, 100), (3, 300, 150)]
    with Image.open(io.BytesIO(images[2].data)) as drawn:
        assert drawn.format == "PNG" and drawn.mode == "RGBA"
        assert drawn.getpixel((10, 10))[3] == 128  # transparency kept


def test_icon_and_strip_are_cropped_to_their_shape() -> None:
    icon = prepare_upload(picture(300, 200, "JPEG", "RGB", (10, 200, 10)), "icon")
    assert [(i.width, i.height) for i in icon] == [(29, 29), (58, 58), (87, 87)]
    strip = prepare_upload(picture(1200, 1200, "WEBP"), "strip")
    assert [(i.width, i.height) for i in strip] == [(375, 123), (750, 246), (1125, 369)]


@pytest.mark.parametrize(("data", "kind", "reason"), [
    (b"this is a text file, not a picture", "logo", "not_image"),
    (b"", "logo", "empty"),
    (picture(100, 40), "logo", "too_small"),
    (picture(86, 200), "icon", "too_small"),
    (picture(749, 400), "strip", "too_small"),
    (picture(200, 200, "GIF", "P", 1), "logo", "format"),
    (picture(400, 400)[:200], "logo", "not_image"),  # cut short
    (b"\x00" * (5 * 1024 * 1024 + 1), "logo", "too_big"),
])
def test_unusable_uploads_are_refused_with_a_reason(data: bytes, kind: str, reason: str) -> None:
    with pytest.raises(UploadRejected) as refused:
        prepare_upload(data, kind)
    assert refused.value.reason == reason


def test_a_small_file_claiming_a_huge_canvas_is_not_decoded() -> None:
    data = picture(8000, 6000, "PNG", "1", 0)  # 48 megapixels in a few kilobytes
    assert len(data) < 100_000
    with pytest.raises(UploadRejected) as refused:
        prepare_upload(data, "logo")
    assert refused.value.reason == "too_many_pixels"


def test_passes_carry_the_uploaded_logo_and_strip(owner: Api, member: dict[str, Any], client: FlaskClient) -> None:
    program = db.session.get(Program, member["program_id"])
    assert program is not None
    version = program.version
    store_images(program, "logo", prepare_upload(picture(640, 200), "logo"))
    store_images(program, "strip", prepare_upload(picture(1500, 500), "strip"))
    db.session.commit()
    assert program.version == version + 2

    response = client.get(member["pass_url"].removeprefix("http://tessera.test"))
    assert response.status_code == 200
    check_pkpass_like_a_phone(response.data, pass_type_identifier="pass.dev.tessera.example",
                              team_identifier="TESSERA000")
    files = zipfile.ZipFile(io.BytesIO(response.data))
    assert size(files.read("logo.png")) == (160, 50)
    assert size(files.read("logo@3x.png")) == (480, 150)
    assert size(files.read("strip@2x.png")) == (750, 246)
    assert files.read("logo@2x.png") == uploaded_images(program)["logo@2x.png"]
    assert size(files.read("icon@2x.png")) == (58, 58)  # no icon uploaded: the drawn one stays


def test_every_pass_of_a_program_shares_the_same_image_objects(owner: Api, member: dict[str, Any]) -> None:
    program = db.session.get(Program, member["program_id"])
    assert program is not None
    store_images(program, "logo", prepare_upload(picture(300, 100), "logo"))
    db.session.commit()
    first, second = _artwork(program), _artwork(program)
    assert all(first[name] is second[name] for name in first)
    drawn = default_images(initials(program.organization_name), program.background_color, program.foreground_color)
    assert first["icon.png"] is drawn["icon.png"] and first["logo.png"] is not drawn["logo.png"]


def test_removing_an_image_goes_back_to_the_drawn_one(owner: Api, member: dict[str, Any]) -> None:
    program = db.session.get(Program, member["program_id"])
    assert program is not None
    store_images(program, "logo", prepare_upload(picture(300, 100), "logo"))
    db.session.commit()
    version = program.version
    assert remove_images(program, "logo") is not None
    assert remove_images(program, "strip") is None  # nothing to remove, nothing pushed
    db.session.commit()
    assert program.version == version + 1
    drawn = default_images(initials(program.organization_name), program.background_color, program.foreground_color)
    assert _artwork(program)["logo.png"] is drawn["logo.png"]


def test_the_poster_logo_is_the_uploaded_one(owner: Api, program: dict[str, Any], client: FlaskClient) -> None:
    row = db.session.get(Program, program["id"])
    assert row is not None
    drawn = client.get(f"/join/{row.slug}/logo.png").data
    store_images(row, "logo", prepare_upload(picture(900, 300, "JPEG", "RGB", (1, 2, 3)), "logo"))
    db.session.commit()
    uploaded = client.get(f"/join/{row.slug}/logo.png")
    assert uploaded.status_code == 200 and uploaded.data != drawn
    assert size(uploaded.data) == (450, 150)


def test_two_uploads_at_once_both_land_one_after_the_other(app: Flask, owner: Api, program: dict[str, Any]) -> None:
    """Each upload takes the program's row first, so the second replaces the first's rows
    instead of colliding with them."""
    images = [prepare_upload(picture(300 + 60 * i, 100), "logo") for i in range(2)]
    barrier = threading.Barrier(2)

    def run(i: int) -> int:
        with app.app_context():
            try:
                row = db.session.get_one(Program, program["id"])
                barrier.wait()
                store_images(row, "logo", images[i])
                db.session.commit()
                return row.version
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=2) as pool:
        versions = sorted(pool.map(run, range(2)))
    assert versions[1] == versions[0] + 1
    rows = db.session.execute(select(ProgramImage.scale, ProgramImage.width)).all()
    assert sorted(scale for scale, _ in rows) == [1, 2, 3]
    assert {width for scale, width in rows if scale == 1} <= {150, 160}


def test_a_sixteen_bit_grey_logo_keeps_its_shades() -> None:
    logo = prepare_upload(picture(300, 100, "PNG", "I;16", 32768), "logo")[0]
    with Image.open(io.BytesIO(logo.data)) as image:
        assert image.getpixel((5, 5)) == (128, 128, 128, 255)


def test_a_sideways_phone_photo_is_turned_upright() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    buffer = io.BytesIO()
    Image.new("RGB", (100, 300), (0, 0, 255)).save(buffer, format="JPEG", exif=exif)
    logo = prepare_upload(buffer.getvalue(), "logo")[2]
    assert (logo.width, logo.height) == (450, 150)  # drawn 300 wide, 100 high once upright
