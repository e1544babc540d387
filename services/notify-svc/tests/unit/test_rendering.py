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


SAMPLE = {
    "citizen_name": "Maria Rossi",
    "reference": "TO-2026-000042",
    "case_id": "0b5bd3a4-25a4-4b57-9d41-7c8e1a0e6d10",
    "office": "Corpo di Polizia Municipale \u2013 Reparto 5",
    "tenant_name": "Comune di Torino",
    "follow_url": "",
    "outcome": "Cassonetti svuotati.",
    "category": "Decoro e pulizia",
    "description": "Cassonetti traboccanti",
    "standard": "answer_30d",
    "deadline": "01/04/2026 17:00",
    "failed_template": "closed",
    "failed_channel": "email",
    "reason": "550 5.1.1 Mailbox unavailable",
}


@pytest.mark.parametrize("template", sorted(TemplateRenderer().templates()))
@pytest.mark.parametrize("language", ["it", "en"])
def test_every_message_renders_in_both_languages_and_says_what_changed(
    renderer: TemplateRenderer, template: str, language: str
) -> None:
    message = renderer.render(template, language, SAMPLE)
    assert "TO-2026-000042" in message.subject and message.subject.startswith("Comune di Torino")
    assert "TO-2026-000042" in message.body and "{{" not in message.body


@pytest.mark.parametrize(
    ("template", "it", "en"),
    [
        ("received", "ricevuta", "received"),
        ("taken_in_charge", "presa in carico", "taken in charge"),
        ("closed", "chiusa", "closed"),
    ],
)
def test_citizens_messages_exist_in_both_languages_by_mail_and_sms(
    renderer: TemplateRenderer, template: str, it: str, en: str
) -> None:
    assert it in renderer.render(template, "it", SAMPLE).subject
    assert en in renderer.render(template, "en", SAMPLE).subject
    for language in ("it", "en"):
        sms = renderer.render(template, language, SAMPLE, "sms")
        assert sms.subject == "" and "\n" not in sms.body
        assert "TO-2026-000042" in sms.body and len(sms.body) <= 320


def test_the_survey_link_is_in_the_closing_message_only_when_offered(
    renderer: TemplateRenderer,
) -> None:
    without = renderer.render("closed", "it", SAMPLE)
    assert "da 1 a 5" not in without.body
    offered = SAMPLE | {"survey_url": "https://s.example/surveys/tok", "survey_expires": "01/04"}
    for language, said in (("it", "da 1 a 5"), ("en", "from 1 to 5")):
        body = renderer.render("closed", language, offered).body
        assert said in body and "https://s.example/surveys/tok" in body
    assert "https://s.example/surveys/tok" in renderer.render("closed", "it", offered, "sms").body


def test_the_acknowledgment_says_how_to_follow_the_case(renderer: TemplateRenderer) -> None:
    body = renderer.render("received", "it", SAMPLE).body
    assert "indichi sempre il numero TO-2026-000042." in body
    assert "Open311" in body and SAMPLE["case_id"] in body
    linked = renderer.render("received", "en", SAMPLE | {"follow_url": "https://f.example/x"})
    assert "follow it here:\nhttps://f.example/x" in linked.body
