"""docs/messages.md is what the templates render today (regenerate it, never edit it by hand)."""

from __future__ import annotations

from pathlib import Path

from sportello_notify.samples import render_document

ROOT = Path(__file__).resolve().parents[4]


def test_the_published_samples_are_the_templates_output() -> None:
    published = (ROOT / "docs" / "messages.md").read_text(encoding="utf-8")
    assert published == render_document(ROOT / "deploy" / "tenants"), (
        "docs/messages.md is out of date: .venv/bin/python -m sportello_notify.samples "
        "deploy/tenants > docs/messages.md"
    )
