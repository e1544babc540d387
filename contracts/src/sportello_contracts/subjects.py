"""NATS subjects and streams of the Sportello bus (DESIGN.md §3)."""

from __future__ import annotations

import re

UNASSIGNED = "unassigned"
_TOKEN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")

CASES_STREAM = "CASES"
SLA_STREAM = "SLA"
NOTIFICATIONS_STREAM = "NOTIFICATIONS"
INGEST_STREAM = "INGEST"
DLQ_STREAM = "DLQ"


def _token(value: str) -> str:
    if not _TOKEN.fullmatch(value):
        raise ValueError(f"not a valid subject token: {value!r}")
    return value


def case_subject(tenant: str, organization: str | None, event: str) -> str:
    return f"cases.{_token(tenant)}.{_token(organization or UNASSIGNED)}.{_token(event)}"


def sla_subject(tenant: str, organization: str | None, event: str) -> str:
    return f"sla.{_token(tenant)}.{_token(organization or UNASSIGNED)}.{_token(event)}"


def notification_subject(tenant: str, event: str) -> str:
    return f"notifications.{_token(tenant)}.{_token(event)}"


def ingest_subject(tenant: str, source: str) -> str:
    return f"ingest.{_token(tenant)}.{_token(source)}"


def dlq_subject(service: str) -> str:
    return f"dlq.{_token(service)}"


def case_events(event: str, tenant: str = "*", organization: str = "*") -> str:
    """A filter on one case event for every tenant and organization (or the given ones)."""
    return f"cases.{tenant}.{organization}.{_token(event)}"


def personal_subject(tenant: str, requester: str) -> str:
    """Where `requester` asks intake for personal data of `tenant`'s cases (the identity)."""
    return f"personal.{_token(tenant)}.{_token(requester)}"
