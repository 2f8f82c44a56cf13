"""Browser tests: the app served by a live server thread, driven by Playwright through Debian's
Chromium (a downloaded browser is never used). The server uses the suite's `app` fixture, so it shares the
worker's database and tests can seed users with `make_user`."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator

import pytest

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def _chromium() -> str:
    path = shutil.which("chromium")
    if path:
        return path
    message = "Debian's chromium is not installed: apt-get install chromium"
    if os.environ.get("REQUIRE_ALL_TESTS") == "1":
        pytest.fail(f"REQUIRE_ALL_TESTS=1 but {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    """http://127.0.0.1:<free port> serving `app` from a background thread."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1200, "height": 900})
    context.set_default_timeout(10_000)
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture
def log_in(page):
    """log_in(email, password) through the /login form."""

    def login(email: str, password: str = "Password-1") -> None:
        page.goto("/login")
        page.fill("#usr", email)
        page.fill("#pwd", password)
        page.click("form button[type=submit]")
        page.wait_for_url("**/app")

    return login
