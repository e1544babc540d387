"""docs/partners.md shows the example programs the tests run, not a copy drifting away."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import EXAMPLES, REPO


@pytest.mark.parametrize(
    ("language", "program"),
    [
        ("python", EXAMPLES / "partner-python" / "subscriber.py"),
        ("javascript", EXAMPLES / "partner-js" / "subscriber.mjs"),
    ],
)
def test_the_guide_shows_the_tested_example(language: str, program: Path) -> None:
    guide = (REPO / "docs" / "partners.md").read_text(encoding="utf-8")
    blocks = re.findall(rf"^```{language}\n(.*?)^```$", guide, re.S | re.M)
    assert blocks == [program.read_text(encoding="utf-8")]
