"""Playwright drives Debian's Chromium (`apt-get install chromium`); no browser is downloaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.settings import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make install` (or apt-get install chromium) adds it")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True}


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API keeps an event loop running on the main
    thread until the session ends, which would break `asyncio.run` in any later test."""
    browser_dir = Path(__file__).resolve().parent
    items.sort(key=lambda item: browser_dir in Path(str(item.path)).parents)


@pytest.fixture(scope="session", autouse=True)
def _model_before_browser(request: pytest.FixtureRequest) -> None:
    """Load the embedded model (asyncio.run) before Playwright starts its loop."""
    if any("browser" in str(item.path) for item in request.session.items):
        request.getfixturevalue("embedded_backend")
