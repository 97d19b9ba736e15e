"""Refusing a decompression bomb on the design tab: a 6300×6300 PNG of ~40 KB, checked by the
production upload check (the header alone) against decoding it whole as an unbounded check would
(open, load, turn upright, convert to RGBA). Each side runs in a fresh process, so its peak
resident memory (getrusage's ru_maxrss, which sees Pillow's C buffers where tracemalloc does not)
is its own.

    .venv/bin/python benchmarks/upload_bomb.py
"""
from __future__ import annotations

import io
import json
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SIDE = 6300
REFUSE_REPEATS = 20


def make_bomb() -> bytes:
    """A mostly uniform picture (a flat colour with a band across), in a two-colour palette, as a logo might be."""
    from PIL import Image, ImageDraw

    image = Image.new("P", (SIDE, SIDE), 0)  # one byte a pixel: deflate packs ~1000 pixels a byte
    image.putpalette([200, 40, 40, 250, 250, 250])
    ImageDraw.Draw(image).rectangle((0, SIDE // 2, SIDE, SIDE // 2 + 400), fill=1)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _refuse(data: bytes) -> None:
    from app.wallet.uploads import UploadRejected, prepare_upload

    try:
        prepare_upload(data, "strip")
    except UploadRejected as exc:
        assert exc.reason == "too_many_pixels", exc.reason
        return
    raise SystemExit("the bomb was accepted")


def _decode(data: bytes) -> None:
    from PIL import Image, ImageOps

    from app.wallet.uploads import _rgba

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        image = Image.open(io.BytesIO(data))
        image.load()
        _rgba(ImageOps.exif_transpose(image))


def child(mode: str, path: str) -> None:
    data = Path(path).read_bytes()
    import app.wallet.uploads  # noqa: F401  (imports are not part of the figure)
    import PIL.ImageOps  # noqa: F401

    work, repeats = (_refuse, REFUSE_REPEATS) if mode == "refuse" else (_decode, 1)
    baseline = _peak_mb()
    started = time.perf_counter()
    for _ in range(repeats):
        work(data)
    elapsed_ms = (time.perf_counter() - started) * 1000 / repeats
    print(json.dumps({"ms": elapsed_ms, "peak_mb": max(0.0, _peak_mb() - baseline)}))


def measure(mode: str, path: Path) -> dict[str, float]:
    result = subprocess.run([sys.executable, __file__, "--child", mode, str(path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=600, check=True)
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def main() -> None:
    data = make_bomb()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bomb.png"
        path.write_bytes(data)
        refuse = measure("refuse", path)
        decode = measure("decode", path)
    print(f"bomb: {SIDE}×{SIDE} PNG, {len(data) / 1024:.0f} KB")
    print(f"refuse_ms={refuse['ms']:.2f} refuse_peak_mb={refuse['peak_mb']:.1f} "
          f"decode_ms={decode['ms']:.0f} decode_peak_mb={decode['peak_mb']:.0f} "
          f"ratio={decode['ms'] / max(refuse['ms'], 1e-6):.0f}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
