"""The README's curl walk-through, run as written against a live server."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from config import ROOT
from tests.support.phone import check_pkpass_like_a_phone

BIN = Path(sys.executable).parent


def _blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'readme.db'}", "PUBLIC_URL": url,
           "SECRET_KEY": "readme-secret", "TESSERA_ENV": "development"}
    env.pop("FLASK_APP", None)
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", "init-db"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    process = subprocess.Popen([str(BIN / "flask"), "--app", "wsgi", "run", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield url, env
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_readme_opens_with_the_two_commands() -> None:
    first = _blocks()[0].splitlines()
    assert first[0].startswith("make run") and first[1].startswith("make test")


def test_curl_walkthrough_ends_with_a_valid_pass(server: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    url, env = server
    walkthrough = next(b for b in _blocks() if "curl" in b and "create-merchant" in b)
    verify = next(b for b in _blocks() if "openssl cms -verify" in b)
    script = (walkthrough + verify).replace(".venv/bin/flask", str(BIN / "flask"))
    script = script.replace("certs/example/", f"{ROOT}/certs/example/").replace("/tmp/luca", str(tmp_path / "luca"))
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env={**env, "TESSERA": url},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Verification successful" in result.stderr
    pass_json = check_pkpass_like_a_phone((tmp_path / "luca.pkpass").read_bytes(),
                                          pass_type_identifier="pass.dev.tessera.example", team_identifier="TESSERA000")
    assert pass_json["storeCard"]["headerFields"][0]["value"] == 120
    assert pass_json["organizationName"] == "Forno Bianchi"
