"""Pure parts of the second round: reopen requests in the read model (and a model from an older
build rebuilt), the tenants' reply templates, the duplicates' question, who decides reopening."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from eventsourcing.persistence import Tracking
from sportello_console.intake_form import CaseForm
from sportello_console.pages.case import pending_reopen_request
from sportello_console.queues import CENTRE_QUEUES, counts, rows
from sportello_console.readmodel import ReadModel
from sportello_console.replies import load_replies
from sportello_shared.tenants import load_tenants

from .test_console_rules import CALL_TAKER, OFFICE, ROOT, SUPERVISOR

TENANTS = ROOT / "deploy" / "tenants"
CASE = {"case_id": "c1", "reference": "TO-2026-000001", "occurred_at": "2026-12-04T10:00:00Z",
        "_tenant": "torino", "_organization": "pm-reparto-6"}  # fmt: skip


def closed_case(model: ReadModel) -> None:
    received = {**CASE, "kind": "reclamo", "channel": "phone", "category": "qualita_urbana",
                "received_at": "2026-12-04T10:00:00+01:00"}  # fmt: skip
    model.apply("it.sportello.case.received.v1", received, Tracking("intake", 1))
    assigned = {**CASE, "organization": "pm-reparto-6"}
    model.apply("it.sportello.case.assigned.v1", assigned, Tracking("intake", 2))
    model.apply("it.sportello.case.closed.v1", {**CASE, "outcome": "x"}, Tracking("intake", 3))


def test_a_reopen_request_waits_in_the_urp_s_queues_until_decided(tmp_path: Path) -> None:
    model = ReadModel(tmp_path / "model.sqlite")
    closed_case(model)
    queue = next(q for q in CENTRE_QUEUES if q.id == "reopen_requests")
    assert rows(model, SUPERVISOR, queue) == []
    asked = model.apply("it.sportello.case.reopen_requested.v1", {**CASE, "reason": "no"},
                        Tracking("intake", 4))  # fmt: skip
    assert asked is not None and asked.case_id == "c1"
    assert [r["case_id"] for r in rows(model, SUPERVISOR, queue)] == ["c1"]
    assert counts(model, SUPERVISOR)["triage"] == 1 and counts(model, SUPERVISOR)["open"] == 0
    model.apply("it.sportello.case.reopen_declined.v1", CASE, Tracking("intake", 5))
    assert rows(model, SUPERVISOR, queue) == [] and counts(model, SUPERVISOR)["triage"] == 0


def test_a_model_from_an_older_build_is_dropped_for_a_rebuild(tmp_path: Path) -> None:
    path = tmp_path / "model.sqlite"
    with sqlite3.connect(path) as old:  # the first build's tables, no schema version
        old.execute("CREATE TABLE cases (case_id TEXT PRIMARY KEY, reference TEXT)")
        old.execute("CREATE TABLE tracking (application_name TEXT, notification_id INTEGER)")
        old.execute("INSERT INTO tracking VALUES ('intake', 7)")
    model = ReadModel(path)
    assert model.outdated and not model.is_tracked(Tracking("intake", 7))
    closed_case(model)
    model.close()
    again = ReadModel(path)
    assert not again.outdated and again.is_tracked(Tracking("intake", 3))
    assert not ReadModel(tmp_path / "new.sqlite").outdated


def test_every_tenant_has_italian_reply_templates_for_its_cases() -> None:
    tenants = load_tenants(TENANTS)
    replies = load_replies(TENANTS)
    assert set(replies.by_tenant) == {t.id for t in tenants}
    for tenant_id, found in replies.by_tenant.items():
        codes = {c.service_code for c in tenants[tenant_id].categories}
        assert len(found) >= 3 and all(set(r.categorie) <= codes for r in found), tenant_id
        assert all("{riferimento}" in r.testo and "Gentile" in r.testo for r in found)
    torino = replies.for_case("torino", "qualita_urbana")
    assert "reclamo-esaminato" not in {r.id for r in torino}  # only for complaints about the PM
    chosen = replies.find("torino", "reclami_polizia_municipale", "reclamo-esaminato")
    assert chosen is not None and "TO-2026-000009" in chosen.text_for("TO-2026-000009")


def test_a_malformed_reply_file_stops_the_start(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "risposte.yaml").write_text("risposte:\n  - id: A\n    titolo: t\n")
    with pytest.raises(ValueError, match="id"):
        load_replies(tmp_path)


def test_the_duplicates_question_carries_only_what_was_typed() -> None:
    torino = load_tenants(TENANTS)["torino"]
    empty = CaseForm.blank()
    empty.values |= dict.fromkeys(("citizen_email", "citizen_phone", "address", "category"), "")
    assert empty.duplicates_body(torino) is None
    form = CaseForm.of({"category": "nope", "address": "Via Roma 1", "citizen_phone": "333"})
    assert form.duplicates_body(torino) == {"tenant": "torino", "phone": "333"}
    form.values["category"] = "qualita_urbana"
    assert form.duplicates_body(torino) == {"tenant": "torino", "phone": "333",
        "category": "qualita_urbana", "address": "Via Roma 1"}  # fmt: skip


def test_the_pending_reopen_request_is_the_last_word_and_the_urp_s() -> None:
    asked = {"event": "reopen_requested", "reason": "no", "occurred_at": "2026-12-04T10:00:00Z"}
    case = {"status": "closed", "timeline": [{"event": "closed"}, asked]}
    assert pending_reopen_request(case) == asked
    declined = {**case, "timeline": [*case["timeline"], {"event": "reopen_declined"}]}
    assert pending_reopen_request(declined) is None
    assert pending_reopen_request({**case, "status": "reopened"}) is None
    assert SUPERVISOR.decides_reopening and CALL_TAKER.decides_reopening
    assert not OFFICE.decides_reopening
