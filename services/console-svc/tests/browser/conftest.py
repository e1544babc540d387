"""Playwright drives Debian's Chromium (never a downloaded browser): .ci/run installs it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("Debian's chromium is missing: apt-get install chromium (.ci/run does)")
    return {
        **browser_type_launch_args,
        "executable_path": executable,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    }


@pytest.fixture(autouse=True)
def contexts_closed_after_each_test(browser: Browser) -> Iterator[None]:
    """The contexts a test opened (`open_user`) end with it. The browser lives for the whole
    worker: left open, every earlier test's pages kept their live queues (server-sent events,
    reconnecting once their stack had stopped) running beside every later test."""
    yield
    for context in list(browser.contexts):
        context.close()
