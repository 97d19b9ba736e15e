"""How close pass building gets to the cost of its one RSA signature, and how it compares with
wallet-py3k signing through ``openssl smime``.

    .venv/bin/python benchmarks/sign_throughput.py [--seconds 15]

One core (the process, and any child it starts, is pinned to one CPU). A realistic store card:
default icon and logo at three densities, a ~100 KB strip, Italian and English pass.strings,
signed with the example chain. Measurements run interleaved in short batches, so a noisy
neighbour slows them alike; each figure is the rate of the fastest tenth of its batches (the
least disturbed ones; the median is printed too). Two phases share the time:

1. Tessera's passes against bare RSA signatures with the same key: ``ratio``.
2. Tessera's passes against wallet-py3k's ``Pass.create``: ``vs_wallet_py3k``. wallet-py3k
   forks ``openssl`` for every pass; a fork turns every page of this process copy-on-write, so
   whatever runs after it pays page faults. That would distort the ratio, so it is measured
   apart; the passes of this phase pay those faults too, which only lowers the speed-up.

The last line is machine-readable:

    passes_per_s=... rsa_sign_per_s=... ratio=... vs_wallet_py3k=...
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from passes.apple import PassField, PassSigner, StoreCardSpec, build_pkpass, default_images, initials  # noqa: E402
from passes.apple.model import wallet_pass  # noqa: E402
from passes.apple.strings import encode_pass_strings  # noqa: E402
from tests.passes import helpers  # noqa: E402

CERTS = ROOT / "certs" / "example"
PASSWORD = "tessera-example"
PASS_TYPE = "pass.dev.tessera.example"
TEAM = "TESSERA000"


def pin_to_one_core() -> int:
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return core


def strip_png(target: int = 100_000) -> bytes:
    """A 750x246 (strip@2x) photo-like PNG of about ``target`` bytes, the same on every run."""
    noise = random.Random(7)
    image = Image.linear_gradient("L").resize((750, 246)).convert("RGB")
    rows = max(1, target // (750 * 3))
    patch = Image.frombytes("RGB", (750, rows), noise.randbytes(750 * 3 * rows))
    image.paste(patch, (0, 60))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def make_spec(serial: int = 0) -> StoreCardSpec:
    """The test suite's pass, with a strip image and a member of its own."""
    images = dict(default_images(initials("Caffè Rossi"), "#6b3e26", "#fff4e6"))
    images["strip@2x.png"] = STRIP
    return helpers.make_spec(
        serial_number=f"TESSERA-{serial:012d}",
        header_fields=(PassField("points", "points_label", 120 + serial, "points_changed"),),
        back_fields=(
            PassField("terms", "terms_label", "Points expire after 12 months without purchases."),
            PassField("contact", "contact_label", "Via Roma 1, Milano · +39 02 1234567"),
        ),
        images=images,
    )

STRIP = strip_png()


def wallet_py3k_create(spec: StoreCardSpec) -> Callable[[], bytes]:
    """wallet-py3k's own create(): same pass.json model, files, certificate, key and password."""
    model = wallet_pass(spec)
    for name, data in spec.images.items():
        model.addFile(name, io.BytesIO(data))
    for language, table in spec.localizations.items():
        model.addFile(f"{language}.lproj/pass.strings", io.BytesIO(encode_pass_strings(table)))
    paths = (str(CERTS / "pass.pem"), str(CERTS / "pass.key"), str(CERTS / "wwdr.pem"))
    return lambda: bytes(model.create(*paths, PASSWORD).getvalue())


def batch_seconds(action: Callable[[], object], count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        action()
    return (time.perf_counter() - start) / count


def fast_decile(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 10]


def main() -> None:
    parser = argparse.ArgumentParser(description="pass signing throughput")
    parser.add_argument("--seconds", type=float, default=15.0, help="total measuring time")
    args = parser.parse_args()
    core = pin_to_one_core()
    signer = PassSigner.from_files(
        CERTS / "pass.pem",
        CERTS / "pass.key",
        CERTS / "wwdr.pem",
        password=PASSWORD,
        pass_type_identifier=PASS_TYPE,
        team_identifier=TEAM,
    )
    key = _signing_key()
    spec = make_spec()
    archive = build_pkpass(spec, signer)
    manifest = _manifest_of(archive)
    print(
        f"core {core}; archive {len(archive)} bytes, {len(spec.images)} images, "
        f"{len(spec.localizations)} localizations, manifest {len(manifest)} bytes"
    )

    build = (lambda: build_pkpass(spec, signer), 25)
    against_rsa = interleaved(
        {"build_pkpass": build, "rsa_sign": (lambda: key.sign(manifest, padding.PKCS1v15(), hashes.SHA256()), 25)},
        seconds=args.seconds * 2 / 3,
    )
    against_wallet = interleaved(
        {"build_pkpass_2": build, "wallet_py3k": (wallet_py3k_create(spec), 2)},
        seconds=args.seconds / 3,
        at_least=10,
    )
    rates = {**against_rsa, **against_wallet}
    passes, rsa_signs = rates["build_pkpass"], rates["rsa_sign"]
    print(
        f"passes_per_s={passes:.0f} rsa_sign_per_s={rsa_signs:.0f} ratio={passes / rsa_signs:.2f} "
        f"vs_wallet_py3k={rates['build_pkpass_2'] / rates['wallet_py3k']:.1f}"
    )


def interleaved(
    actions: dict[str, tuple[Callable[[], object], int]], *, seconds: float, at_least: int = 10
) -> dict[str, float]:
    """Each action's rate (per second) from batches run in turn for ``seconds``; prints them."""
    times: dict[str, list[float]] = {name: [] for name in actions}
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or min(map(len, times.values())) < at_least:
        for name, (action, count) in actions.items():
            times[name].append(batch_seconds(action, count))
    rates = {name: 1 / fast_decile(values) for name, values in times.items()}
    for name, values in times.items():
        print(
            f"{name:14s} {rates[name]:8.1f}/s  {1000 / rates[name]:7.3f} ms each  "
            f"(median batch {1000 * statistics.median(values):.3f} ms, {len(values)} batches)"
        )
    return rates


def _signing_key() -> rsa.RSAPrivateKey:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = load_pem_private_key((CERTS / "pass.key").read_bytes(), PASSWORD.encode())
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def _manifest_of(archive: bytes) -> bytes:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        return opened.read("manifest.json")


if __name__ == "__main__":
    main()
