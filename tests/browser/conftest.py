"""Browser tests: the real app on a loopback port, driven by Chromium through Playwright.

Chromium is the distribution's (`apt-get install chromium`), never Playwright's own download.
Without Chromium or Playwright these tests skip with the reason, unless REQUIRE_BROWSER=1 is
set (as `.ci/run` does): then they fail.

Fixtures for tests here: `live_server` (`.url`), `page` (a fresh desktop tab), `new_page(**options)`
(a tab in a new browser context: phone viewport, locale, downloads...), `artifacts` (the git-ignored
folder for screenshots). The root fixtures `owner`, `program`, `member` work as everywhere, and the
app's PUBLIC_URL is the live server's address, so every link the app hands out opens in the browser.
While a browser module runs, the main thread cannot call asyncio.run(): start asyncio helpers
(an SMTP server, say) in their own thread, as aiosmtpd's Controller does.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from app import create_app
from app.extensions import db
from tests.conftest import _empty_tables, _migrate_once, _require, make_config
from tests.support.openapi_check import OpenApiRecorder

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# No sandbox: CI runs as root, where Chromium refuses to start with it. No GPU and no background
# traffic: there is neither a GPU nor a network to talk to, only the app on loopback.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _unavailable(reason: str) -> NoReturn:
    if _require("REQUIRE_BROWSER"):
        pytest.fail(f"{reason} (REQUIRE_BROWSER is set)")
    pytest.skip(reason)


class LiveServer:
    """werkzeug's threaded server on a free loopback port, bound before the app exists.

    Binding first gives the port, hence the URL the app needs as its PUBLIC_URL.
    """

    def __init__(self) -> None:
        self._app: WSGIApp | None = None
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, self._dispatch, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-server", daemon=True)

    def _dispatch(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        assert self._app is not None, "the live server answered before its app was attached"
        return self._app(environ, start_response)

    def serve(self, app: WSGIApp) -> None:
        self._app = app
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()


@pytest.fixture
def _listener() -> Iterator[LiveServer]:
    server = LiveServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def app(database_url: str, _listener: LiveServer) -> Iterator[Flask]:
    """The root `app` fixture, with PUBLIC_URL pointing at the live server."""
    _migrate_once(database_url)
    application = create_app(make_config(database_url, PUBLIC_URL=_listener.url))
    recorder = OpenApiRecorder(application)
    with application.app_context():
        yield application
        db.session.remove()
        _empty_tables()
        db.engine.dispose()
    recorder.assert_clean()


@pytest.fixture
def live_server(app: Flask, _listener: LiveServer) -> Iterator[LiveServer]:
    """Serving until the test ends, and stopped before the app's tables are emptied."""
    _listener.serve(app)
    yield _listener
    _listener.stop()


# Module scope, not session: while Playwright's sync API is started it marks its event loop as
# running in this thread, so any later test calling asyncio.run() would fail. Stopping it at the
# end of each browser module hands the thread back clean; one Chromium launch per module is cheap.
@pytest.fixture(scope="module")
def _playwright() -> Iterator[Playwright]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install -e '.[test]')")
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)")
    playwright = sync_playwright().start()
    try:
        yield playwright
    finally:
        playwright.stop()


@pytest.fixture(scope="module")
def browser(_playwright: Playwright) -> Iterator[Browser]:
    from playwright.sync_api import Error

    try:
        launched = _playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Error as exc:
        _unavailable(f"Chromium at {CHROMIUM} did not start: {exc.message.splitlines()[0]}")
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Each call opens a tab in its own context (cookies, viewport, locale); all closed afterwards."""
    contexts = []

    def open_page(**context_options: Any) -> Page:
        context = browser.new_context(**context_options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page()


def keep(page: Page, path: Path) -> bytes:
    """A full-page screenshot saved at `path`, its PNG bytes returned.

    Headless Chromium now and then answers a capture with "Unable to capture screenshot" while
    its compositor has no frame ready (seen under load, on a page that had just been navigated).
    That is the browser's, not the page's: wait for two animation frames and try again, at most
    three times, and let any other error through at once."""
    from playwright.sync_api import Error

    for attempt in range(3):
        try:
            return page.screenshot(path=str(path), full_page=True)
        except Error as exc:
            if "Unable to capture screenshot" not in exc.message or attempt == 2:
                raise
            page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    raise AssertionError("unreachable")


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
