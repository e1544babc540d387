"""Shared helpers of sla-svc's unit tests: the real tenant policies and case events."""

from __future__ import annotations

from datetime import datetime
from itertools import count
from pathlib import Path
from typing import Any

from eventsourcing.persistence import Tracking
from sportello_contracts import EventPayload, wrap
from sportello_contracts import cases as c
from sportello_shared.application import Incoming
from sportello_sla.adapters.policy_files import load_catalogue
from sportello_sla.application import SlaApplication
from sportello_sla.calendars import ROME
from sportello_sla.catalogue import SlaCatalogue
from sportello_sla.policies import Rule

TENANTS_DIR = Path(__file__).resolve().parents[4] / "deploy" / "tenants"
CATALOGUE: SlaCatalogue = load_catalogue(TENANTS_DIR)
NOTIFICATION_IDS = count(1)


def rome(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ROME)


def rule(tenant: str, standard: str, version: int = 1) -> Rule:
    return CATALOGUE[tenant].rule(standard, version)


def received(case_id: str, at: datetime, **changes: Any) -> c.CaseReceived:
    fields: dict[str, Any] = {
        "case_id": case_id,
        "reference": "XX-2026-000001",
        "occurred_at": at,
        "kind": "segnalazione",
        "channel": "phone",
        "category": "segnalazioni",
        "description": "Buca in via Roma",
        "citizen": c.Citizen(name="Maria Rossi", email="maria.rossi@example.org"),
        "received_at": at,
        "registered_at": at,
    }
    return c.CaseReceived(**(fields | changes))


def lifecycle(event: type[c._CaseEvent], case_id: str, at: datetime, **fields: Any) -> Any:
    return event(case_id=case_id, reference="XX-2026-000001", occurred_at=at, **fields)


def assigned(case_id: str, at: datetime, organization: str = "urp") -> c.CaseAssigned:
    payload: c.CaseAssigned = lifecycle(
        c.CaseAssigned,
        case_id,
        at,
        organization=organization,
        organization_name="URP",
        rule_id="r",
        rule_version=1,
        reasons=["category"],
    )
    return payload


def incoming(payload: EventPayload, tenant: str) -> Incoming:
    envelope = wrap(
        payload,
        aggregate_id=getattr(payload, "case_id", "x"),
        aggregate_version=next(NOTIFICATION_IDS),
        source="/test",
        subject=getattr(payload, "case_id", "x"),
        time=datetime.now(ROME),
        tenant=tenant,
        organization="unassigned",
        traceparent=None,
    )
    return Incoming(envelope, payload)


def process(app: SlaApplication, tenant: str, *payloads: EventPayload) -> None:
    for payload in payloads:
        app.process_incoming(incoming(payload, tenant), Tracking("intake", next(NOTIFICATION_IDS)))
