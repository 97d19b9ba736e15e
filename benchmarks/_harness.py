"""Shared set-up for the benchmarks: a live Tessera process on loopback with its own database."""
from __future__ import annotations

import http.client
import io
import json
import os
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def flask(env: Mapping[str, str], *args: str) -> str:
    result = subprocess.run([*FLASK, *args], cwd=ROOT, env=dict(env), capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def wait_until_up(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port}")


@contextmanager
def process(command: list[str], env: Mapping[str, str], port: int | None = None) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(command, cwd=ROOT, env=dict(env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if port:
            wait_until_up(port)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Client:
    """A keep-alive JSON client for one host."""

    def __init__(self, port: int, key: str | None = None) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.key = key

    def call(self, method: str, path: str, body: Any = None, headers: Mapping[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if self.key:
            all_headers["Authorization"] = f"Bearer {self.key}"
        self.conn.request(method, path, body=None if body is None else json.dumps(body), headers=all_headers)
        response = self.conn.getresponse()
        return response.status, response.read(), dict(response.getheaders())

    def json(self, method: str, path: str, body: Any = None) -> Any:
        status, data, _ = self.call(method, path, body)
        if status >= 400:
            raise SystemExit(f"{method} {path} -> {status}: {data[:200]!r}")
        return json.loads(data)


def base_env(database_url: str, port: int, **extra: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "PUBLIC_URL": f"http://127.0.0.1:{port}",
            "SECRET_KEY": "benchmark-secret", "TESSERA_ENV": "development", **extra}


def merchant_key(env: Mapping[str, str]) -> str:
    flask(env, "init-db")
    flask(env, "create-merchant", "Bench Caffè", "--email", "bench@example.com", "--password", "benchmark-password")
    return flask(env, "create-api-key", "--email", "bench@example.com").strip().splitlines()[-1]


def pass_token(client: Client, pass_url: str) -> str:
    """The authenticationToken a phone reads from the pass it downloaded."""
    path = pass_url.split("127.0.0.1", 1)[1].split("/", 1)[1]
    status, data, _ = client.call("GET", "/" + path)
    assert status == 200, status
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return str(json.loads(archive.read("pass.json"))["authenticationToken"])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]
