"""The URP's "bounced between offices" queue: open cases an office declared not competent, the
most bounced first; a closed one leaves it. And the dashboard's volumes from the same model."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from eventsourcing.persistence import Tracking
from sportello_console.identity import StaffUser
from sportello_console.queues import CENTRE_QUEUES, counts, counts_by, declined_by_office, rows
from sportello_console.readmodel import ReadModel

URP = StaffUser("s", "URP", "operator", "torino", supervisor=True)
BOUNCED = next(q for q in CENTRE_QUEUES if q.id == "bounced")


class Log:
    def __init__(self, model: ReadModel) -> None:
        self.model, self.position = model, 0

    def case(self, event: str, case_id: str, **data: Any) -> None:
        self.position += 1
        at = f"2027-01-12T{self.position:02d}:00:00+01:00"
        body = {"case_id": case_id, "occurred_at": at, "_tenant": "torino", **data}
        if event == "received":
            body |= {
                "reference": f"TO-2027-{self.position:06d}",
                "kind": "reclamo",
                "channel": "phone",
                "category": "qualita_urbana",
                "received_at": at,
            }
        tracking = Tracking("intake", self.position)
        self.model.apply(f"it.sportello.case.{event}.v1", body, tracking)


def test_the_most_bounced_open_cases_first(tmp_path: Path) -> None:
    log = Log(ReadModel(tmp_path / "model.sqlite"))
    for case_id in ("once", "twice", "never", "closed"):
        log.case("received", case_id)
    for case_id in ("once", "twice", "twice", "closed"):
        log.case("reassignment_requested", case_id, reason="non di nostra competenza")
    log.case("closed", "closed", outcome="Chiusa")

    listed = rows(log.model, URP, BOUNCED)
    assert [(r["case_id"], r["bounces"]) for r in listed] == [("twice", 2), ("once", 1)]
    assert counts(log.model, URP)["bounced"] == 2


def test_the_dashboard_s_volumes_since_a_moment_or_open_only(tmp_path: Path) -> None:
    log = Log(ReadModel(tmp_path / "model.sqlite"))
    for case_id in ("early", "late", "closed"):  # received at 01:00, 02:00 and 03:00
        log.case("received", case_id)
    log.case("closed", "closed", outcome="Chiusa")

    since = datetime.fromisoformat("2027-01-12T01:30:00+01:00")
    assert counts_by(log.model, URP, "channel", received_since=since) == [{"name": "phone", "n": 2}]
    assert counts_by(log.model, URP, "category", open_only=True) == [
        {"name": "qualita_urbana", "n": 2}
    ]
    other_tenant = StaffUser("p", "URP", "operator", "pisa", supervisor=True)
    assert counts_by(log.model, other_tenant, "channel") == []


def test_the_offices_that_declare_cases_not_competent(tmp_path: Path) -> None:
    log = Log(ReadModel(tmp_path / "model.sqlite"))
    for case_id in ("bounced twice", "bounced once"):
        log.case("received", case_id)
        log.case("assigned", case_id, organization="pm-reparto-1")
        log.case("reassignment_requested", case_id, reason="non di competenza")
    log.case("assigned", "bounced twice", organization="pm-reparto-2")
    log.case("reassignment_requested", "bounced twice", reason="nemmeno nostra")

    since = datetime.fromisoformat("2027-01-01T00:00:00+01:00")
    declined = declined_by_office(log.model, URP, since)
    assert declined == [{"name": "pm-reparto-1", "n": 2}, {"name": "pm-reparto-2", "n": 1}]
    later = datetime.fromisoformat("2027-01-13T00:00:00+01:00")
    assert declined_by_office(log.model, URP, later) == []
