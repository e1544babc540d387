"""Queues: tabs with counts, rows with the time left, kept live by server-sent events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sportello_web import language_of
from sse_starlette.sse import EventSourceResponse

from ..identity import StaffUser
from ..queues import counts, queues_for, rows, urgent_categories
from ..readmodel import Change
from .common import ConsoleDep

router = APIRouter()
# what an office did on a case it no longer reaches, said on its queue (`?fatto=`)
DONE_HERE = frozenset({"office-answer"})


@router.get("/", name="home")
def home(console: ConsoleDep) -> RedirectResponse:
    first = queues_for(console.user)[0].id
    return RedirectResponse(f"/code/{first}", status_code=303)


@router.get("/code/{queue_id}", name="queue", response_class=HTMLResponse)
def queue_page(
    queue_id: str, console: ConsoleDep, request: Request, fatto: str = ""
) -> HTMLResponse:
    queues = queues_for(console.user)
    queue = next((q for q in queues if q.id == queue_id), None)
    if queue is None:
        raise HTTPException(404, f"no queue {queue_id}")
    context: dict[str, Any] = {
        "done": fatto if fatto in DONE_HERE else None,
        "queues": queues,
        "current": queue,
        "counts": counts(console.model, console.user),
        "rows": [
            with_time_left(r)
            for r in rows(
                console.model, console.user, queue, urgent=urgent_categories(console.tenants)
            )
        ],
    }
    if request.headers.get("hx-request") and request.query_params.get("frammento"):
        return console.render("_queue.html", **context)
    return console.render("queue.html", **context)


@router.get("/eventi", name="events")
async def events(console: ConsoleDep, request: Request) -> EventSourceResponse:
    """`changed` (for the queues) and `case-<id>` (for that case's page) whenever a case this
    user may see changes: ids only, no personal data in the events."""
    user = console.user
    subscription = console.broadcaster.subscribe()
    live_text = request.app.state.catalogue.get(language_of(request), "queue.live")

    async def stream() -> AsyncIterator[dict[str, str]]:
        # On (re)connection: the page reloads its queue once, so nothing in between is missed.
        yield {"event": "ready", "data": live_text}
        async for change in subscription:
            if await request.is_disconnected():
                break
            if concerns(user, change):
                yield {"event": "changed", "data": change.case_id}
                # the case's own page listens for its id only
                yield {"event": f"case-{change.case_id}", "data": change.case_id}

    return EventSourceResponse(stream(), ping=15)


def concerns(user: StaffUser, change: Change) -> bool:
    if user.tenant is None:
        return True  # admin or auditor without a tenant: everything
    if change.tenant != user.tenant:
        return False
    return user.kind != "office" or change.organization in (user.organization, None)


def with_time_left(row: dict[str, object], now: datetime | None = None) -> dict[str, object]:
    """Adds `left` (e.g. '2 g 3 h', negative when overdue) and `risk` for the colour."""
    deadline = row.get("next_deadline")
    row = dict(row)
    if not isinstance(deadline, str):
        row["left_hours"] = None
        return row
    remaining = datetime.fromisoformat(deadline) - (now or datetime.now(UTC))
    hours = int(remaining.total_seconds() // 3600)
    row["left_hours"] = hours
    row["left_days"], row["left_rest"] = divmod(abs(hours), 24)
    if hours < 0:
        row["risk"] = "breached"
    return row
