"""`make run` without a mail server: the demo owner who forgot the password finds the reset
e-mail, link included, on the console, and the link works.

The server here is the one `make run` starts (`flask --app wsgi run` in development, after
`init-db` and `seed-demo`), in its own process, so the console read is its real standard output."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page

from app.demo import DEMO_EMAIL, DEMO_PASSWORD
from config import ROOT
from tests.browser.conftest import keep

FLASK = str(Path(sys.executable).with_name("flask"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Console:
    """A process's standard output, read line by line as it comes."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._process = process
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self.lines.append(line)

    def wait_for(self, pattern: str, timeout: float = 20.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, "".join(self.lines), re.S)
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError(f"{pattern!r} never appeared on the console:\n{''.join(self.lines)}")


@pytest.fixture
def dev_server(tmp_path: Path) -> Iterator[tuple[str, Console]]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "TESSERA_", "MAIL_"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'tessera.db'}", PORT=str(port), PYTHONUNBUFFERED="1",
               TESSERA_EMBEDDED_WORKER="1")
    env.pop("PUBLIC_URL", None)
    for command in ("init-db", "seed-demo"):
        done = subprocess.run([FLASK, "--app", "wsgi", command], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    assert f"demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}" in done.stdout
    process = subprocess.Popen([FLASK, "--app", "wsgi", "run", "--host", "127.0.0.1", "--port", str(port)],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    console = Console(process)
    try:
        _wait_until_up(url, process)
        yield url, console
    finally:
        process.terminate()
        process.wait(timeout=20)
        console.reader.join(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def _wait_until_up(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the development server stopped"
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("the development server did not answer within a minute")


def _sign_in(page: Page, url: str, password: str) -> None:
    page.goto(f"{url}/dashboard/login")
    page.get_by_label("E-mail").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_the_reset_e_mail_is_printed_whole_and_its_link_works(
    dev_server: tuple[str, Console], new_page: Callable[..., Page], artifacts: Path
) -> None:
    url, console = dev_server
    page = new_page(locale="en-GB")
    page.goto(f"{url}/dashboard/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("E-mail").fill(DEMO_EMAIL)
    page.get_by_role("button", name="Send the link").click()
    page.get_by_role("heading", name="Check your e-mail").wait_for()

    printed = console.wait_for(rf"To: {re.escape(DEMO_EMAIL)}\nSubject: [^\n]+\n\n(?P<body>.+?)\n-{{72}}")
    link = re.search(rf"{re.escape(url)}/dashboard/\S*reset\S*", printed["body"])
    assert link, printed["body"]

    page.goto(link[0])
    keep(page, artifacts / "dev-console-reset.png")
    page.get_by_label("New password", exact=True).fill("a brand new secret")
    page.get_by_label("New password again").fill("a brand new secret")
    page.get_by_role("button", name="Save and sign in").click()
    page.wait_for_load_state()
    assert "/dashboard/login" not in page.url

    fresh = new_page(locale="en-GB")
    _sign_in(fresh, url, DEMO_PASSWORD)
    fresh.get_by_text("The e-mail or the password is not right.").wait_for()
    _sign_in(fresh, url, "a brand new secret")
    fresh.wait_for_url(re.compile(r".*/dashboard/(?!login).*"))
    keep(fresh, artifacts / "dev-console-signed-in.png")


def test_a_lost_card_comes_back_on_the_console_never_on_the_page(
    dev_server: tuple[str, Console], new_page: Callable[..., Page], artifacts: Path
) -> None:
    url, console = dev_server
    page = new_page(locale="en-GB")
    page.goto(f"{url}/join/caffe-rossi")
    page.get_by_role("link", name="Lost your card?").click()
    page.get_by_label("E-mail").fill("giulia@example.com")
    page.get_by_role("button", name="Send me my card").click()
    page.get_by_role("heading", name="Check your e-mail").wait_for()
    page.get_by_text("If giulia@example.com already has a card, we have sent it there.").wait_for()
    keep(page, artifacts / "lost-card-sent.png")
    assert ".pkpass" not in page.content() and "/google/save" not in page.content()

    printed = console.wait_for(r"To: giulia@example\.com\nSubject: [^\n]+\n\n(?P<body>.+?)\n-{72}")
    link = re.search(rf"{re.escape(url)}/p/\S+\.pkpass", printed["body"])
    assert link, printed["body"]
    download = httpx.get(link[0], timeout=10)
    assert download.status_code == 200 and download.headers["content-type"] == "application/vnd.apple.pkpass"
