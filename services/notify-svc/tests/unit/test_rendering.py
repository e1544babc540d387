"""The texts' mechanics: subjects, fallbacks, missing values (the whole matrix: test_messages)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from sportello_notify.adapters.rendering import RenderingFailed, TemplateRenderer
from sportello_notify.wording import kind_context

CONTEXT = {
    "citizen_name": "Maria Rossi",
    "reference": "TO-2026-000042",
    "office": "URP, Ufficio Relazioni con il Pubblico",
    "tenant_name": "Comune di Torino",
    "kind": "segnalazione",
}


def words(language: str, kind: str = "segnalazione") -> dict[str, str]:
    return CONTEXT | kind_context(kind, language) | {"contact_phone": ""}


@pytest.fixture(scope="module")
def renderer() -> TemplateRenderer:
    return TemplateRenderer()


def test_taken_in_charge_in_italian(renderer: TemplateRenderer) -> None:
    message = renderer.render("taken_in_charge", "it", words("it"))
    assert message.subject == (
        "Comune di Torino - La sua segnalazione TO-2026-000042 è stata presa in carico"
    )
    assert message.body.startswith("Gentile Maria Rossi,\n")
    assert "la sua segnalazione TO-2026-000042 è stata presa in carico." in message.body
    assert "Ufficio che se ne occupa: URP, Ufficio Relazioni con il Pubblico\n" in message.body
    assert "Subject:" not in message.body


def test_taken_in_charge_in_english(renderer: TemplateRenderer) -> None:
    message = renderer.render("taken_in_charge", "en", words("en", "reclamo"))
    assert message.subject == "Comune di Torino - Your complaint TO-2026-000042 is being handled"
    assert message.body.startswith("Dear Maria Rossi,\n")
    assert "Office handling it: URP, Ufficio Relazioni con il Pubblico\n" in message.body


@pytest.mark.parametrize(
    ("language", "subject", "said"),
    [
        ("it", "La sua segnalazione TO-2026-000042 è stata chiusa", "Esito:"),
        ("en", "Your report TO-2026-000042 has been closed", "Outcome:"),
    ],
)
def test_closed_includes_the_outcome(
    renderer: TemplateRenderer, language: str, subject: str, said: str
) -> None:
    outcome = "Cassonetti svuotati.\nArea pulita il 3 marzo."
    message = renderer.render("closed", language, words(language) | {"outcome": outcome})
    assert message.subject.endswith(subject)
    assert said in message.body
    assert outcome in message.body


def test_a_language_without_templates_falls_back_to_italian(renderer: TemplateRenderer) -> None:
    assert renderer.render("taken_in_charge", "de", words("it")).body.startswith("Gentile")


def test_a_missing_value_is_an_error_not_a_blank(renderer: TemplateRenderer) -> None:
    with pytest.raises(RenderingFailed, match="outcome"):
        renderer.render("closed", "it", words("it"))
    with pytest.raises(RenderingFailed, match="nonexistent"):
        renderer.render("nonexistent", "it", CONTEXT)


def test_a_value_cannot_break_the_subject_line(renderer: TemplateRenderer) -> None:
    message = renderer.render(
        "taken_in_charge", "it", words("it") | {"tenant_name": "Comune\r\nBcc: x@example.org"}
    )
    assert "\n" not in message.subject and "\r" not in message.subject


def test_a_template_without_a_subject_line_is_refused(tmp_path: Path) -> None:
    (tmp_path / "closed.it.txt").write_text("Gentile {{ citizen_name }}\n", encoding="utf-8")
    with pytest.raises(RenderingFailed, match="Subject"):
        TemplateRenderer(tmp_path).render("closed", "it", CONTEXT)


def test_a_tenant_s_own_wording_comes_first_and_the_rest_stays_global(tmp_path: Path) -> None:
    own = tmp_path / "tenants" / "torino" / "templates"
    own.mkdir(parents=True)
    (own / "closed.it.txt").write_text("Subject: Grazie {{ reference }}\nGrazie!\n", "utf-8")
    (own / "_way_back.it.txt").write_text("Chiamate lo {{ contact_phone }}.\n", "utf-8")
    renderer = TemplateRenderer(tenants_dir=tmp_path / "tenants")
    assert renderer.reworded() == {"torino": {"closed.it.txt", "_way_back.it.txt"}}
    closed = renderer.render("closed", "it", words("it") | {"outcome": "ok"}, tenant="torino")
    assert (closed.subject, closed.body) == ("Grazie TO-2026-000042", "Grazie!\n")
    # a global template including a part the tenant rewords gets the tenant's part
    taken = renderer.render(
        "taken_in_charge", "it", words("it") | {"contact_phone": "011 1"}, tenant="torino"
    )
    assert "Chiamate lo 011 1.\n" in taken.body and "Cordiali saluti" not in taken.body
    # English has no wording of the tenant's: the global English text
    english = renderer.render("closed", "en", words("en") | {"outcome": "ok"}, tenant="torino")
    assert english.body.startswith("Dear Maria Rossi,")
    # another tenant, or none, reads the global templates
    for tenant in ("pisa", None):
        other = renderer.render("closed", "it", words("it") | {"outcome": "ok"}, tenant=tenant)
        assert other.body.startswith("Gentile Maria Rossi,")


def test_a_tenant_s_file_that_names_no_global_template_is_refused(tmp_path: Path) -> None:
    own = tmp_path / "pisa" / "templates"
    own.mkdir(parents=True)
    (own / "closd.it.txt").write_text("Subject: x\n", "utf-8")
    with pytest.raises(RenderingFailed, match=r"closd\.it\.txt"):
        TemplateRenderer(tenants_dir=tmp_path)


def test_templates_are_read_once_and_a_change_takes_effect_at_the_next_start(
    tmp_path: Path,
) -> None:
    template = tmp_path / "closed.it.txt"
    template.write_text("Subject: Chiusa {{ reference }}\nPrima versione\n", encoding="utf-8")
    renderer = TemplateRenderer(tmp_path)
    assert renderer.render("closed", "it", CONTEXT).body == "Prima versione\n"
    template.write_text("Subject: Chiusa {{ reference }}\nSeconda versione\n", encoding="utf-8")
    os.utime(template, (time.time() + 60, time.time() + 60))  # surely newer, whatever the clock
    assert renderer.render("closed", "it", CONTEXT).body == "Prima versione\n"
    assert TemplateRenderer(tmp_path).render("closed", "it", CONTEXT).body == "Seconda versione\n"
