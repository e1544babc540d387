"""The console's pure parts: who is offered what, the form's checks, the read model's rows."""

from __future__ import annotations

from pathlib import Path

from eventsourcing.persistence import Tracking
from sportello_console.identity import StaffUser
from sportello_console.intake_form import CaseForm
from sportello_console.queues import CENTRE_QUEUES, OFFICE_QUEUES, counts, rows
from sportello_console.readmodel import ReadModel
from sportello_shared.tenants import load_tenants

ROOT = Path(__file__).resolve().parents[4]
OFFICE = StaffUser("u", "Reparto 6", "office", "torino", "pm-reparto-6")
CALL_TAKER = StaffUser("c", "Centralino", "operator", "torino", operator_code="OP-1")
SUPERVISOR = StaffUser("s", "URP", "operator", "torino", supervisor=True)


def test_each_kind_of_user_is_offered_only_its_actions() -> None:
    assert OFFICE.actions("assigned", "pm-reparto-6") == ["take-in-charge", "request-reassignment"]
    assert OFFICE.actions("assigned", "pm-reparto-1") == []
    assert "reassign" in SUPERVISOR.actions("routing_failed", "contact-center")
    assert "reassign" not in CALL_TAKER.actions("routing_failed", "contact-center")
    assert StaffUser("a", "Audit", "auditor").actions("assigned", None) == []
    # the triage classifies what came by itself (the case page offers it on `da_classificare`)
    assert "classify" in CALL_TAKER.actions("routing_failed", "contact-center")
    assert "classify" in SUPERVISOR.actions("taken_in_charge", "contact-center")
    assert "classify" not in OFFICE.actions("taken_in_charge", "pm-reparto-6")
    assert "classify" not in CALL_TAKER.actions("waiting_for_citizen", "contact-center")
    assert CALL_TAKER.actor_label == "Centralino (OP-1)"
    assert CALL_TAKER.kind == "call_taker" and SUPERVISOR.kind == "supervisor"


def test_the_form_says_what_is_missing_and_builds_intake_svcs_body() -> None:
    torino = load_tenants(ROOT / "deploy" / "tenants")["torino"]
    form = CaseForm.of({"category": "nope", "kind": "reclamo", "channel": "voicemail"})
    assert form.body(torino) is None
    assert set(form.errors) == {"category", "citizen_name", "citizen_phone", "description",
                                "citizen_language"}  # fmt: skip
    form = CaseForm.of({
        "category": "qualita_urbana", "kind": "reclamo", "channel": "voicemail",
        "citizen_name": "Anna", "citizen_email": "anna@example.org", "citizen_language": "en",
        "description": "x", "received_at": "2026-07-01T08:30", "lat": "45,07", "lon": "7.68",
    })  # fmt: skip
    body = form.body(torino)
    assert body is not None and body["received_at"] == "2026-07-01T08:30:00+02:00"
    assert body["location"] == {"lat": 45.07, "lon": 7.68}
    assert body["citizen"] == {"name": "Anna", "email": "anna@example.org", "language": "en"}
    future = CaseForm.of({**form.values, "received_at": "2999-01-01T00:00"})
    assert future.body(torino) is None and future.errors == {"received_at": "form.future"}


def test_the_read_model_follows_a_case_without_personal_data(tmp_path: Path) -> None:
    model = ReadModel(tmp_path / "model.sqlite")
    case = {"case_id": "c1", "reference": "TO-2026-000001", "occurred_at": "2026-12-04T10:00:00Z",
            "_tenant": "torino", "_organization": "unassigned"}  # fmt: skip
    received = {**case, "kind": "reclamo", "channel": "voicemail", "category": "qualita_urbana",
                "received_at": "2026-12-04T10:00:00+01:00"}  # fmt: skip
    model.apply("it.sportello.case.received.v1", received, Tracking("intake", 1))
    change = model.apply(
        "it.sportello.case.assigned.v1",
        {**case, "organization": "pm-reparto-6"},
        Tracking("intake", 2),
    )
    assert change is not None and change.organization == "pm-reparto-6"
    clock = {"case_id": "c1", "standard": "voicemail_callback_24h", "policy_version": 1,
             "started_at": "2026-12-04T10:00:00Z", "deadline": "2000-01-01T00:00:00Z",
             "_tenant": "torino", "_organization": "pm-reparto-6"}  # fmt: skip
    model.apply("it.sportello.sla.deadline_set.v1", clock, Tracking("sla", 1))
    assert model.is_tracked(Tracking("sla", 1)) and not model.is_tracked(Tracking("sla", 2))
    to_take = rows(model, OFFICE, OFFICE_QUEUES[0])
    assert [r["reference"] for r in to_take] == ["TO-2026-000001"]
    assert to_take[0]["risk"] == "breached"  # past its deadline, even before sla's event
    assert counts(model, SUPERVISOR)["overdue"] == 1 and counts(model, SUPERVISOR)["callbacks"] == 1
    assert (
        rows(model, StaffUser("o", "R1", "office", "torino", "pm-reparto-1"), OFFICE_QUEUES[0])
        == []
    )
    assert {c.id for c in CENTRE_QUEUES} >= {"triage", "at_risk", "overdue", "callbacks"}
    classified = {**case, "kind": "segnalazione", "category": "decoro_pulizia",
                  "previous_category": "qualita_urbana"}  # fmt: skip
    assert model.apply("it.sportello.case.classified.v1", classified, Tracking("intake", 3))
    [row] = model.query("SELECT kind, category FROM cases WHERE case_id = 'c1'")
    assert (row["kind"], row["category"]) == ("segnalazione", "decoro_pulizia")
    columns = {d[1] for d in model.query("PRAGMA table_info(cases)")}
    assert not columns & {"citizen", "description", "name", "email", "phone", "address"}
