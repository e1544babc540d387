"""Operators' endpoints: rebuild the clocks from the streams and compare with the live state."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel

from ..adapters.replaying import replay_and_audit
from .deps import SlaDep

router = APIRouter(tags=["admin"])


class Digest(BaseModel):
    as_of: datetime
    clocks: int
    digest: str


class ReplayReport(BaseModel):
    events: int
    seconds: float
    events_per_second: float
    per_stream: dict[str, int]
    clocks: int
    as_of: datetime
    digest: str
    live_digest: str
    matches: bool
    skipped: int
    deferred_unresolved: int
    breaches_published: int
    runs_breached_twice: int


@router.get("/admin/digest")
async def digest(sla: SlaDep, as_of: AwareDatetime | None = None) -> Digest:
    """The live state's digest: what a replay of the log as of the same instant must produce."""
    board = await sla.board()
    instant = as_of or datetime.now(UTC)
    return Digest(as_of=instant, clocks=len(board.rows()), digest=board.digest(instant))


@router.post("/admin/replay")
async def replay(sla: SlaDep, as_of: AwareDatetime | None = None) -> ReplayReport:
    """Replay CASES and NOTIFICATIONS into a fresh in-memory store; the live state is untouched.

    Both digests are taken as of `as_of` (default: the end of the replay), so a digest recorded
    before a crash can be compared with a replay after it.
    """
    check = await replay_and_audit(
        sla.runtime.js, sla.catalogue, lambda: as_of or datetime.now(UTC)
    )
    result, audit = check.result, check.audit
    live_digest = (await sla.board()).digest(result.as_of)
    return ReplayReport(
        events=result.events,
        seconds=round(result.seconds, 3),
        events_per_second=result.events_per_second,
        per_stream=result.per_stream,
        clocks=result.clocks,
        as_of=result.as_of,
        digest=result.digest,
        live_digest=live_digest,
        matches=check.matches(live_digest),
        skipped=result.skipped,
        deferred_unresolved=result.deferred_unresolved,
        breaches_published=audit.published,
        runs_breached_twice=audit.runs_breached_twice,
    )
