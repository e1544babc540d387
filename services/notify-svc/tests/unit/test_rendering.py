"""The citizen-facing texts, in both languages."""

from __future__ import annotations

from pathlib import Path

import pytest
from sportello_notify.adapters.rendering import RenderingFailed, TemplateRenderer

CONTEXT = {
    "citizen_name": "Maria Rossi",
    "reference": "TO-2026-000042",
    "office": "URP, Ufficio Relazioni con il Pubblico",
    "tenant_name": "Comune di Torino",
}


@pytest.fixture(scope="module")
def renderer() -> TemplateRenderer:
    return TemplateRenderer()


def test_taken_in_charge_in_italian(renderer: TemplateRenderer) -> None:
    message = renderer.render("taken_in_charge", "it", CONTEXT)
    assert message.subject == (
        "Comune di Torino - La sua segnalazione TO-2026-000042 è stata presa in carico"
    )
    assert message.body.startswith("Gentile Maria Rossi,\n")
    assert (
        "la sua segnalazione TO-2026-000042 è stata presa in carico da "
        "URP, Ufficio Relazioni con il Pubblico." in message.body
    )
    assert "Subject:" not in message.body


def test_taken_in_charge_in_english(renderer: TemplateRenderer) -> None:
    message = renderer.render("taken_in_charge", "en", CONTEXT)
    assert message.subject == (
        "Comune di Torino - Your report TO-2026-000042 has been taken in charge"
    )
    assert message.body.startswith("Dear Maria Rossi,\n")
    assert "taken in charge by URP, Ufficio Relazioni con il Pubblico." in message.body


@pytest.mark.parametrize(
    ("language", "subject", "said"),
    [
        ("it", "La sua segnalazione TO-2026-000042 è stata chiusa", "con il seguente esito:"),
        ("en", "Your report TO-2026-000042 has been closed", "with the following outcome:"),
    ],
)
def test_closed_includes_the_outcome(
    renderer: TemplateRenderer, language: str, subject: str, said: str
) -> None:
    outcome = "Cassonetti svuotati.\nArea pulita il 3 marzo."
    message = renderer.render("closed", language, CONTEXT | {"outcome": outcome})
    assert message.subject.endswith(subject)
    assert said in message.body
    assert outcome in message.body


def test_a_language_without_templates_falls_back_to_italian(renderer: TemplateRenderer) -> None:
    assert renderer.render("taken_in_charge", "de", CONTEXT).body.startswith("Gentile")


def test_a_missing_value_is_an_error_not_a_blank(renderer: TemplateRenderer) -> None:
    with pytest.raises(RenderingFailed, match="outcome"):
        renderer.render("closed", "it", CONTEXT)
    with pytest.raises(RenderingFailed, match="nonexistent"):
        renderer.render("nonexistent", "it", CONTEXT)


def test_a_value_cannot_break_the_subject_line(renderer: TemplateRenderer) -> None:
    message = renderer.render(
        "taken_in_charge", "it", CONTEXT | {"tenant_name": "Comune\r\nBcc: x@example.org"}
    )
    assert "\n" not in message.subject and "\r" not in message.subject


def test_a_template_without_a_subject_line_is_refused(tmp_path: Path) -> None:
    (tmp_path / "closed.it.txt").write_text("Gentile {{ citizen_name }}\n", encoding="utf-8")
    with pytest.raises(RenderingFailed, match="Subject"):
        TemplateRenderer(tmp_path).render("closed", "it", CONTEXT)
