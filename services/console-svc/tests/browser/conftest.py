"""Playwright drives Debian's Chromium (never a downloaded browser): .ci/run installs it."""

from __future__ import annotations

import shutil
from typing import Any

import pytest


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
