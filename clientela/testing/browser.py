"""Playwright fixtures driving Debian's Chromium (the browser download of `playwright install` is not used)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CLIENTELA_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("CLIENTELA_SCREENSHOTS", "var/screenshots"))


def _chromium_path() -> str | None:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Any]:
    path = _chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed; `make test` installs it with apt-get (package chromium).")
        pytest.skip("Chromium is not installed (apt-get install -y chromium).")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=path,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium_browser: Any) -> Iterator[Any]:
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    context.close()


@pytest.fixture
def builtin_roles(db: Any) -> None:
    """The built-in roles, as their data migration creates them: browser tests are transactional, and an
    earlier transactional test's flush empties every table, migration data included."""
    from clientela.accounts.models import Role
    from clientela.accounts.roles import BUILTIN_ROLES

    for slug, spec in BUILTIN_ROLES.items():
        Role.objects.get_or_create(slug=slug, defaults={"name": str(spec["name"]), "grants": spec["grants"]})


def screenshot(page: Any, name: str) -> None:
    """Keep a full-page PNG under var/screenshots/ (ignored by git) for a human to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
