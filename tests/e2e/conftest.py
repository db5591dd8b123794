"""Browser tests in Debian's Chromium driven by Playwright (never `playwright install`).

DEFT_SCREENSHOTS=1 makes the tests save PNGs under docs/screenshots/."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.annotation.conftest import study_data, study_factory  # noqa: F401  (shared study fixtures)
from tests.needs import need

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between browser steps
# are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    need(Path(CHROMIUM).exists(), f"needs Debian's chromium at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need(False, "needs the playwright Python package")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page_at(browser):
    contexts = []

    def make(width: int = 1280, height: int = 900, csp: bool = False):
        # Playwright's wait_for_function evaluates strings in the page, which the Content-Security-Policy
        # forbids: tests bypass it unless they ask for it (csp=True, see test_security_browser.py).
        ctx = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=not csp)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


def screenshot(page, name: str) -> None:
    """A full-page PNG under docs/screenshots/ (DEFT_SCREENSHOTS=1), kept small: phone shots at 1x, and the
    colours reduced to a 64-colour palette (the pages are flat colours; text stays crisp)."""
    if os.environ.get("DEFT_SCREENSHOTS") != "1":
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, scale="css")
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def login(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
