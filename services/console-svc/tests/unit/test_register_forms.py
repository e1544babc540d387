"""The register's forms: what is checked before sla-svc, and where its refusals are shown."""

from __future__ import annotations

from sportello_console import register_forms
from sportello_console.identity import StaffUser
from sportello_console.pages.register_access import publishes_reports, writes_register
from sportello_console.register_forms import progress_of
from sportello_console.services import Refused


def test_a_new_anomaly_is_read_as_romes_wall_time_and_checked() -> None:
    form = register_forms.new_anomaly(
        {"kind": "interruption", "organization": "urp", "title": "Numero verde guasto",
         "started_at": "2026-03-02T09:00", "ended_at": "2026-03-02T18:30"},
        "pisa", None,
    )  # fmt: skip
    assert form.errors == {}
    assert form.body == {
        "tenant": "pisa", "kind": "interruption", "title": "Numero verde guasto",
        "organization": "urp", "started_at": "2026-03-02T09:00:00+01:00",
        "ended_at": "2026-03-02T18:30:00+01:00",
    }  # fmt: skip
    office = register_forms.new_anomaly(
        {"kind": "other", "organization": "urp", "title": "Sportello chiuso",
         "started_at": "2026-07-01T08:00"}, "pisa", "sepi",
    )  # fmt: skip
    assert office.body is not None and office.body["organization"] == "sepi"  # its own only
    assert office.body["started_at"].endswith("+02:00") and "ended_at" not in office.body


def test_what_is_plainly_wrong_stays_in_the_form() -> None:
    form = register_forms.new_anomaly(
        {"kind": "breach", "title": "no", "started_at": "2026-03-02T09:00",
         "ended_at": "2026-03-01T09:00"}, "pisa", None,
    )  # fmt: skip
    assert form.body is None
    assert form.errors == {"kind": "form.choose", "title": "form.short",
                           "ended_at": "form.end_before_start"}  # fmt: skip
    assert form.values["title"] == "no"
    future = register_forms.new_anomaly(
        {"kind": "other", "title": "Domani", "started_at": "2999-01-01T00:00"}, "pisa", None
    )
    assert future.errors == {"started_at": "form.future"}
    action = register_forms.new_action({"description": "Turni", "status": "late", "due": "31/1"})
    assert action.errors == {"status": "form.choose", "due": "form.date"}
    assert register_forms.cause({"cause": "  "}).errors == {"cause": "form.required"}
    end = register_forms.end({"ended_at": "2026-03-01T08:00"}, "2026-03-02T09:00:00+01:00")
    assert end.errors == {"ended_at": "form.end_before_start"}


def test_a_refusal_goes_beside_its_field_or_the_forms_own() -> None:
    form = register_forms.cause({"cause": "scrivere a anna@example.org"})
    form.refused(Refused(422, "il testo contiene un indirizzo e-mail", []), "cause")
    assert form.errors == {"cause": "il testo contiene un indirizzo e-mail"}
    action = register_forms.new_action({"description": "Turni festivi", "status": "planned"})
    action.refused(
        Refused(422, "due: data non valida", [{"field": "due", "message": "data non valida"}]),
        "description",
    )
    assert action.errors == {"due": "data non valida"}


def test_progress_filters_follow_the_cause_and_the_actions() -> None:
    assert progress_of({"cause": None, "actions": []}) == {"any", "no_cause", "no_actions"}
    mixed = {"cause": "x", "actions": [{"status": "done"}, {"status": "in_progress"}]}
    assert progress_of(mixed) == {"any", "open"}
    assert progress_of({"cause": "x", "actions": [{"status": "done"}]}) == {"any", "done"}


def test_who_writes_the_register_and_publishes_the_report() -> None:
    urp = StaffUser("s", "URP", "operator", "torino", supervisor=True)
    office = StaffUser("o", "Reparto", "office", "torino", "pm-reparto-6")
    auditor = StaffUser("a", "Audit", "auditor")
    caller = StaffUser("c", "Centralino", "operator", "torino")
    assert writes_register(urp) and writes_register(office) and not writes_register(auditor)
    assert publishes_reports(urp) and not publishes_reports(office)
    assert not publishes_reports(auditor) and not publishes_reports(caller)
