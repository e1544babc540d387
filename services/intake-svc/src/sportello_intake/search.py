"""The operators' search over cases: the read model's shape and its port.

The event store answers "what happened to case X"; operators also ask "which open cases does
this office have". A projection answers that (adapters/case_index.py): rebuilt from the log at any
time, written with upserts guarded by the case's version, so replaying a batch changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, Protocol

from .domain import Case

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_micros(moment: datetime) -> int:
    return (moment - EPOCH) // _MICROSECOND


def from_micros(micros: int) -> datetime:
    return EPOCH + micros * _MICROSECOND


_MICROSECOND = datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC) - EPOCH


@dataclass(frozen=True)
class CaseRow:
    case_id: str
    version: int
    tenant: str
    reference: str
    status: str
    is_open: bool
    organization: str | None
    category: str
    kind: str
    channel: str
    received_us: int
    updated_us: int
    external_key: str | None

    @classmethod
    def of(cls, case: Case) -> CaseRow:
        ref = case.external_ref
        return cls(
            case_id=str(case.id),
            version=case.version,
            tenant=case.tenant,
            reference=case.reference,
            status=case.status.value,
            is_open=case.is_open,
            organization=case.organization,
            category=case.category,
            kind=case.kind,
            channel=case.channel,
            received_us=to_micros(case.received_at),
            updated_us=to_micros(case.updated_at),
            external_key=f"{ref['source']}/{ref['id']}" if ref else None,
        )


@dataclass(frozen=True)
class CaseQuery:
    tenant: str | None = None
    status: str | None = None
    is_open: bool | None = None
    organization: str | None = None
    category: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    references: Sequence[str] = ()
    limit: int = 50
    offset: int = 0

    def where(self, placeholder: str) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for column in ("tenant", "status", "organization", "category"):
            value = getattr(self, column)
            if value is not None:
                clauses.append(f"{column} = {placeholder}")
                params.append(value)
        if self.is_open is not None:
            clauses.append(f"is_open = {placeholder}")
            params.append(self.is_open)
        if self.received_from is not None:
            clauses.append(f"received_us >= {placeholder}")
            params.append(to_micros(self.received_from))
        if self.received_to is not None:
            clauses.append(f"received_us < {placeholder}")
            params.append(to_micros(self.received_to))
        if self.references:
            clauses.append(f"reference IN ({', '.join([placeholder] * len(self.references))})")
            params.extend(self.references)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


COLUMNS = [f.name for f in fields(CaseRow)]
ORDER = " ORDER BY received_us DESC, case_id"


class CaseIndex(Protocol):
    """Where the read model lives (a table beside the event store)."""

    def upsert(self, rows: Sequence[CaseRow]) -> None: ...
    def search(self, query: CaseQuery) -> tuple[list[CaseRow], int]: ...
    def close(self) -> None: ...
