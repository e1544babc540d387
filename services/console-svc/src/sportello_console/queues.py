"""The queues each kind of user works from, read from the read model (no personal data).

Urgent cases (a category marked `urgent` in tenant.yaml: Marcallo's pronto intervento) come
first in every queue, newest first among them, then the rest, newest first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sportello_shared.tenants import Tenant

from .identity import StaffUser
from .readmodel import ReadModel, utcnow_iso

OPEN = "status NOT IN ('closed', 'rejected')"
LIVE_CLOCK = "state IN ('running', 'warning')"


@dataclass(frozen=True)
class Queue:
    id: str
    where: str  # SQL over `cases c` (+ the clock columns); constants only, never user input
    first: str = ""  # SQL ordering the queue's rows before the newest-first (after urgency)


OFFICE_QUEUES = (
    # triage-first: a forwarded case is the office's to answer; answered, the front office's
    Queue("to_take", "c.status IN ('assigned', 'reopened', 'routing_failed', 'forwarded')"),
    Queue("in_progress", "c.status IN ('taken_in_charge', 'citizen_contacted', 'office_answered')"),
    Queue("waiting", "c.status = 'waiting_for_citizen'"),
    Queue("resolved", "c.status = 'resolved'"),
)
CENTRE_QUEUES = (
    Queue(
        "triage",
        "(c.status IN ('routing_failed', 'reassignment_requested', 'received')"
        " OR c.reopen_requested = 1)",
    ),
    Queue("reopen_requests", "c.reopen_requested = 1"),
    Queue("open", f"c.{OPEN}"),
    Queue("at_risk", f"c.{OPEN} AND k.risk = 'warning'"),
    Queue("overdue", f"c.{OPEN} AND k.risk = 'breached'"),
    # declared not competent by an office at least once: the URP sees where cases bounce
    Queue("bounced", f"c.{OPEN} AND c.bounces > 0", first="q.bounces DESC"),
    Queue(
        "callbacks",
        f"c.{OPEN} AND c.channel IN ('voicemail', 'ivr') AND c.contacted = 0",
    ),
)

ROWS = """
SELECT c.*, k.next_deadline, k.risk FROM cases c LEFT JOIN (
    SELECT case_id,
        MIN(CASE WHEN state IN ('running', 'warning') THEN deadline END) AS next_deadline,
        CASE WHEN SUM(state = 'breached'
                      OR (state IN ('running', 'warning') AND deadline < :now)) > 0
             THEN 'breached'
             WHEN SUM(state = 'warning') > 0 THEN 'warning' ELSE 'ok' END AS risk
    FROM clocks GROUP BY case_id
) k ON k.case_id = c.case_id
"""


def queues_for(user: StaffUser) -> tuple[Queue, ...]:
    return OFFICE_QUEUES if user.kind == "office" else CENTRE_QUEUES


def scope(user: StaffUser) -> tuple[str, dict[str, Any]]:
    """The cases a user may see: their organization's, their tenant's, or all (admin)."""
    if user.kind == "office":
        return "c.tenant = :tenant AND c.organization = :organization", {
            "tenant": user.tenant,
            "organization": user.organization,
        }
    if user.kind in ("admin", "auditor") and user.tenant is None:
        return "1 = 1", {}
    return "c.tenant = :tenant", {"tenant": user.tenant}


def in_scope(model: ReadModel, user: StaffUser, case_id: str) -> bool:
    """Whether the console's own view puts this case among the user's (their queues show it)."""
    where, params = scope(user)
    sql = f"SELECT 1 FROM cases AS c WHERE c.case_id = :case_id AND {where}"
    return bool(model.query(sql, {**params, "case_id": case_id}))


def seen_assignment(model: ReadModel, case_id: str) -> tuple[str | None, str] | None:
    """The case's organization in the console's view, and when its last change happened."""
    found = model.query(
        "SELECT organization, updated_at FROM cases WHERE case_id = :case_id", {"case_id": case_id}
    )
    return (found[0]["organization"], found[0]["updated_at"]) if found else None


def counts(model: ReadModel, user: StaffUser) -> dict[str, int]:
    where, params = scope(user)
    result = {}
    for queue in queues_for(user):
        sql = f"SELECT COUNT(*) AS n FROM ({ROWS} WHERE {where} AND {queue.where}) AS c"
        result[queue.id] = model.query(sql, {**params, "now": utcnow_iso()})[0]["n"]
    return result


def counts_by(
    model: ReadModel,
    user: StaffUser,
    column: Literal["channel", "category", "organization"],
    received_since: datetime | None = None,
    open_only: bool = False,
) -> list[dict[str, Any]]:
    """The user's cases per channel, category or office (most first), received since a moment
    or open ones only: the dashboard's volumes."""
    where, params = scope(user)
    if received_since is not None:
        where += " AND c.received_at >= :since"
        params["since"] = received_since.astimezone(UTC).isoformat()
    if open_only:
        where += f" AND c.{OPEN}"
    sql = (
        f"SELECT c.{column} AS name, COUNT(*) AS n FROM cases c WHERE {where}"
        f" GROUP BY c.{column} ORDER BY n DESC, name"
    )
    return [dict(r) for r in model.query(sql, params)]


def declined_by_office(model: ReadModel, user: StaffUser, since: datetime) -> list[dict[str, Any]]:
    """How often each office declared a case of the user's not competent since a moment (most
    first): where cases bounce, for the URP's dashboard."""
    where, params = scope(user)
    sql = (
        "SELECT b.organization AS name, COUNT(*) AS n FROM bounces b"
        f" JOIN cases c ON c.case_id = b.case_id WHERE {where} AND b.at >= :since"
        " GROUP BY b.organization ORDER BY n DESC, name"
    )
    return [
        dict(r) for r in model.query(sql, {**params, "since": since.astimezone(UTC).isoformat()})
    ]


def urgent_categories(tenants: Iterable[Tenant]) -> tuple[str, ...]:
    """`<tenant>/<category>` of every category the tenants' catalogues mark urgent."""
    return tuple(
        sorted(f"{t.id}/{c.service_code}" for t in tenants for c in t.categories if c.urgent)
    )


def rows(
    model: ReadModel,
    user: StaffUser,
    queue: Queue,
    limit: int = 200,
    urgent: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """The queue's cases, urgent ones first (`urgent`: from `urgent_categories`, bound as
    parameters, never spliced into the SQL); each row says whether it is urgent."""
    where, params = scope(user)
    marks = ", ".join(f":urgent{i}" for i in range(len(urgent))) or "NULL"
    params |= {f"urgent{i}": key for i, key in enumerate(urgent)}
    is_urgent = f"CASE WHEN (r.tenant || '/' || r.category) IN ({marks}) THEN 1 ELSE 0 END"
    sql = (
        f"SELECT q.* FROM (SELECT r.*, {is_urgent} AS urgent FROM ({ROWS}"
        f" WHERE {where} AND {queue.where}) AS r) AS q"
        f" ORDER BY q.urgent DESC, {queue.first + ', ' if queue.first else ''}"
        f"q.received_at DESC LIMIT {int(limit)}"
    )
    return [dict(r) for r in model.query(sql, {**params, "now": utcnow_iso()})]
