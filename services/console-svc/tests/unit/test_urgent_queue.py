"""Urgent cases first in every queue: the catalogue's `urgent` flag (tenant.yaml)."""

from __future__ import annotations

from pathlib import Path

from eventsourcing.persistence import Tracking
from sportello_console.identity import StaffUser
from sportello_console.queues import CENTRE_QUEUES, rows, urgent_categories
from sportello_console.readmodel import ReadModel
from sportello_shared.tenants import load_tenants

TENANTS = load_tenants(Path(__file__).resolve().parents[4] / "deploy" / "tenants")
URP = StaffUser("s", "URP", "operator", "marcallo", supervisor=True)


def test_urgent_cases_come_first_newest_first_then_the_rest(tmp_path: Path) -> None:
    model = ReadModel(tmp_path / "model.sqlite")
    arrivals = [  # (case, category, received at)
        ("info-early", "informazioni_comunali", "2027-01-12T01:00:00+01:00"),
        ("flood", "allagamenti", "2027-01-12T02:00:00+01:00"),
        ("info-late", "informazioni_comunali", "2027-01-12T04:00:00+01:00"),
        ("noise", "quiete_pubblica", "2027-01-12T03:00:00+01:00"),
    ]
    for n, (case_id, category, at) in enumerate(arrivals, start=1):
        received = {
            "case_id": case_id,
            "reference": f"MA-2027-00000{n}",
            "occurred_at": at,
            "_tenant": "marcallo",
            "_organization": "unassigned",
            "kind": "segnalazione",
            "channel": "phone",
            "category": category,
            "received_at": at,
        }
        model.apply("it.sportello.case.received.v1", received, Tracking("intake", n))
    urgent = urgent_categories(TENANTS)
    assert "marcallo/allagamenti" in urgent and "marcallo/informazioni_comunali" not in urgent
    triage = next(q for q in CENTRE_QUEUES if q.id == "triage")
    listed = rows(model, URP, triage, urgent=urgent)
    assert [(r["case_id"], r["urgent"]) for r in listed] == [
        ("noise", 1),
        ("flood", 1),
        ("info-late", 0),
        ("info-early", 0),
    ]
    # without the catalogue (no urgent category anywhere): newest first, as before
    plain = [r["case_id"] for r in rows(model, URP, triage)]
    assert plain == ["info-late", "noise", "flood", "info-early"]
