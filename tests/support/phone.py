"""Check a .pkpass the way an iPhone does before Wallet shows it, independently of passes/.

``openssl cms -verify`` checks the detached signature over manifest.json and the chain up to
the example root (no ``-noverify``); then every manifest hash against the bytes, every file
against the manifest, every image decoded with Pillow at its pixel size; finally the project's
own validator must have nothing to say. Raises AssertionError naming the first failed check.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from PIL import Image

from passes.apple.validate import validate_pkpass

EXAMPLE_CERTS = Path(__file__).resolve().parents[2] / "certs" / "example"
UNHASHED = {"manifest.json", "signature"}
# Points; icons are exact, the others are boxes (Apple's sizes, written out again on purpose so
# a mistake in passes/apple/images.py cannot hide itself).
IMAGE_POINTS = {
    "icon": (29, 29, True),
    "logo": (160, 50, False),
    "strip": (375, 123, False),
    "thumbnail": (90, 90, False),
    "background": (180, 220, False),
    "footer": (286, 15, False),
}


def check_pkpass_like_a_phone(
    data: bytes,
    *,
    pass_type_identifier: str,
    team_identifier: str,
    allow_http: bool = True,
    root: Path = EXAMPLE_CERTS / "root.pem",
    wwdr: Path = EXAMPLE_CERTS / "wwdr.pem",
) -> dict[str, Any]:
    """Assert ``data`` is a pass a phone would add; return its parsed pass.json.

    ``allow_http`` (default on) accepts an http:// webServiceURL, as a phone with the developer
    setting "Allow HTTP Services" does for the development server; pass False to hold a pass to
    what every phone accepts. ``root`` and ``wwdr`` name the chain to verify against.
    """
    files = _unzip(data)
    for required in ("pass.json", "manifest.json", "signature", "icon.png", "icon@2x.png"):
        assert required in files, f"the archive has no {required}"
    _verify_signature_with_openssl(files["signature"], files["manifest.json"], root, wwdr)
    _check_manifest(files)
    _check_images(files)
    problems = validate_pkpass(
        data, expected_pass_type=pass_type_identifier, expected_team=team_identifier, allow_http=allow_http
    )
    assert problems == [], "validate_pkpass found: " + "; ".join(problems)
    pass_json: dict[str, Any] = json.loads(files["pass.json"])
    assert pass_json["passTypeIdentifier"] == pass_type_identifier
    assert pass_json["teamIdentifier"] == team_identifier
    return pass_json


def _unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None, "a file in the archive fails its CRC"
        names = archive.namelist()
        assert len(names) == len(set(names)), "the archive holds a name twice"
        return {name: archive.read(name) for name in names if not name.endswith("/")}


def _verify_signature_with_openssl(signature: bytes, manifest: bytes, root: Path, wwdr: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "signature").write_bytes(signature)
        (folder / "manifest.json").write_bytes(manifest)
        command = [
            "openssl",
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            str(folder / "signature"),
            "-content",
            str(folder / "manifest.json"),
            "-CAfile",
            str(root),
            "-certfile",
            str(wwdr),
            "-purpose",
            "any",
            "-out",
            str(folder / "out"),
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"openssl cms -verify failed: {result.stderr.strip()}"
        assert "Verification successful" in result.stderr, result.stderr
        assert (folder / "out").read_bytes() == manifest, "openssl verified different content"


def _check_manifest(files: dict[str, bytes]) -> None:
    manifest = json.loads(files["manifest.json"])
    for name, digest in manifest.items():
        assert name in files, f"manifest.json lists {name}, which is not in the archive"
        assert hashlib.sha1(files[name]).hexdigest() == digest, f"{name} does not match its manifest hash"
    for name in files:
        assert name in manifest or name in UNHASHED, f"{name} is not listed in manifest.json"


def _check_images(files: dict[str, bytes]) -> None:
    for name, body in files.items():
        if not name.endswith(".png"):
            continue
        with Image.open(io.BytesIO(body)) as image:
            image.load()
            assert image.format == "PNG", f"{name} is {image.format}, not PNG"
            size = image.size
        expected = _expected(name.rsplit("/", 1)[-1])
        if expected is None:
            continue
        width, height, exact = expected
        if exact:
            assert size == (width, height), f"{name} is {size[0]}x{size[1]} px, expected {width}x{height}"
        else:
            assert size[0] <= width and size[1] <= height, f"{name} is {size}, larger than {width}x{height}"


def _expected(filename: str) -> tuple[int, int, bool] | None:
    stem = filename[: -len(".png")]
    base, _, density = stem.partition("@")
    if base not in IMAGE_POINTS:
        return None
    scale = int(density[:-1]) if density else 1
    width, height, exact = IMAGE_POINTS[base]
    return width * scale, height * scale, exact
