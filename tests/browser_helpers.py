"""Shared by the test_browser*.py modules: headless chromium, and pages opened from file:// with every request watched.

One browser per module (launching costs seconds); one context per test, so
request counters and focus never leak between tests.  A browser that cannot
be launched FAILS the tests: a skipped browser test would hide a broken memo.
"""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1200, "height": 900}


# ----------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        pytest.fail(f"playwright is not importable ({exc}); run `pip install -e '.[dev]'`.", pytrace=False)
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found; install it with `apt-get install -y chromium` (.ci/run does).", pytrace=False)
    pw = sync_playwright().start()
    try:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=60_000)
    except Exception as exc:  # noqa: BLE001 - any launch failure must fail loudly, with its cause
        pw.stop()
        pytest.fail(f"Cannot launch {CHROMIUM} headless: {str(exc).splitlines()[0]}", pytrace=False)
    yield chromium
    chromium.close()
    pw.stop()


class Opened:
    """A page opened from file:// in a fresh context, watching every request but its own.

    ``requests``: every request the page attempted (chromium reports even those
    its CSP then refuses); ``csp_blocked``: those the CSP refused before they
    left; ``routed``: those that got past the page to the network layer (the
    route aborts them, so nothing is ever really fetched).
    """

    def __init__(self, browser, path: Path, **context_options) -> None:
        self.url = path.resolve().as_uri()
        self.context = browser.new_context(viewport=VIEWPORT, **context_options)
        self.requests: list[str] = []
        self.csp_blocked: list[str] = []
        self.routed: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("request", lambda r: r.url != self.url and self.requests.append(r.url))
        self.page.on("requestfailed", lambda r: r.failure == "csp" and self.csp_blocked.append(r.url))
        self.page.goto(self.url)

    def _route(self, route) -> None:
        if route.request.url == self.url:
            route.continue_()
        else:
            self.routed.append(route.request.url)
            route.abort()

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def open_page(browser):
    opened: list[Opened] = []

    def _open(path: Path, **options) -> Opened:
        opened.append(Opened(browser, path, **options))
        return opened[-1]

    yield _open
    for o in opened:
        o.close()
