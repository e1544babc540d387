"""The documentation points only inside the repository: every relative link resolves to a file
of the checkout, and no page names a path outside it (a reader has only the repository)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGES = sorted(
    [REPO / "README.md", REPO / "contracts" / "README.md", *(REPO / "docs").glob("*.md")]
)
LINK = re.compile(r"\]\(([^)\s]+)\)")
OUTSIDE = re.compile(r"(?<![\w.])(/work/|\.\./\.\./shared/|~/)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_links_resolve_inside_the_repository(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    broken = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue  # a web address or an anchor of the page
        path = (page.parent / target.split("#")[0]).resolve()
        if not path.is_relative_to(REPO) or not path.exists():
            broken.append(target)
    assert not broken, f"{page.name}: links outside the repository or to nothing: {broken}"
    assert not OUTSIDE.findall(text), f"{page.name} names a path outside the repository"
