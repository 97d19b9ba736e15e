"""Apple's web service under load: 32 simulated phones against gunicorn with 2 workers.

    .venv/bin/python benchmarks/webservice_load.py [--phones 1000] [--seconds 10]

Needs `wrk` (Debian: apt-get install wrk). Phones poll "what changed" (204) and fetch their pass
with If-Modified-Since (304), one request in ten a full fetch (200). In the same run, a bare Flask
route served by gunicorn the same way gives the yardstick. Last line:

    rps=… p99_ms=… bare_rps=… ratio=…
"""
from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._harness import (  # noqa: E402
    FLASK, ROOT, Client, base_env, free_port, merchant_key, pass_token, process,
)

PASS_TYPE = "pass.dev.tessera.example"
GUNICORN = [sys.executable, "-m", "gunicorn", "--workers", "2", "--log-level", "warning"]


def wrk(url: str, script: Path, data: Path, seconds: int) -> dict[str, float]:
    result = subprocess.run(["wrk", "-t", "2", "-c", "32", "-d", f"{seconds}s", "-s", str(script), url, "--", str(data)],
                            capture_output=True, text=True, timeout=seconds + 60)
    line = next((l for l in result.stdout.splitlines() if l.startswith("WRK ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no summary: {result.stdout}{result.stderr}")
    figures = {k: float(v) for k, v in (part.split("=") for part in line.split()[1:])}
    if figures["errors"] or figures["non2xx3xx"]:
        raise SystemExit(f"errors under load: {line}")
    return figures


def phones(port: int, key: str, count: int) -> list[str]:
    """Enrol `count` members, install each card on its own phone; return wrk request lines."""
    api, phone = Client(port, key), Client(port)
    program = api.json("POST", "/api/v1/programs", {"name": "Load Club"})
    lines = []
    for n in range(count):
        member = api.json("POST", f"/api/v1/programs/{program['id']}/members",
                          {"name": f"M{n}", "email": f"m{n}@example.com", "consent": {"terms": True}})
        serial, token = member["serial_number"], pass_token(phone, member["pass_url"])
        auth = f"ApplePass {token}"
        device = f"/passkit/v1/devices/dev{n:05d}/registrations/{PASS_TYPE}"
        status, _, _ = phone.call("POST", f"{device}/{serial}", {"pushToken": f"{n:064x}"}, {"Authorization": auth})
        assert status == 201, status
        status, body, _ = phone.call("GET", device)
        tag = json.loads(body)["lastUpdated"]
        status, data, headers = phone.call("GET", f"/passkit/v1/passes/{PASS_TYPE}/{serial}", headers={"Authorization": auth})
        zipfile.ZipFile(io.BytesIO(data)).testzip()
        lines.append(f"GET\t{device}?passesUpdatedSince={tag}\t\t")
        lines.append(f"GET\t/passkit/v1/passes/{PASS_TYPE}/{serial}\t{auth}\t{headers['Last-Modified']}")
        if n % 5 == 0:
            lines.append(f"GET\t/passkit/v1/passes/{PASS_TYPE}/{serial}\t{auth}\t")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--phones", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("webservice_load needs wrk: apt-get install wrk")
    script = ROOT / "benchmarks" / "phones.lua"
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = base_env(f"sqlite:///{Path(tmp) / 'load.db'}", port)
        key = merchant_key(env)
        with process([*FLASK, "run", "--port", str(port), "--with-threads"], env, port):
            lines = phones(port, key, args.phones)
        data = Path(tmp) / "requests.tsv"
        data.write_text("\n".join(lines) + "\n")
        bare_data = Path(tmp) / "bare.tsv"
        bare_data.write_text("GET\t/bare\t\t\n")
        with process([*GUNICORN, "-b", f"127.0.0.1:{port}", "wsgi:app"], env, port):
            wrk(f"http://127.0.0.1:{port}", script, data, 5)  # warm-up: worker start, connections, caches
            tessera = wrk(f"http://127.0.0.1:{port}", script, data, args.seconds)
        bare_port = free_port()
        with process([*GUNICORN, "-b", f"127.0.0.1:{bare_port}", "--chdir", str(ROOT / "benchmarks"), "bare_app:app"],
                     env, bare_port):
            wrk(f"http://127.0.0.1:{bare_port}", script, bare_data, 2)
            bare = wrk(f"http://127.0.0.1:{bare_port}", script, bare_data, args.seconds)
    rps = tessera["requests"] / tessera["seconds"]
    bare_rps = bare["requests"] / bare["seconds"]
    p99 = tessera["p99_us"] / 1000
    print(f"{args.phones} phones, 32 connections, gunicorn 2 sync workers, SQLite")
    print(f"web service: {rps:.0f} req/s, p50 {tessera['p50_us'] / 1000:.1f} ms, p99 {p99:.1f} ms")
    print(f"bare Flask:  {bare_rps:.0f} req/s, p99 {bare['p99_us'] / 1000:.1f} ms")
    print(f"rps={rps:.0f} p99_ms={p99:.1f} bare_rps={bare_rps:.0f} ratio={rps / bare_rps:.2f}")


if __name__ == "__main__":
    main()
