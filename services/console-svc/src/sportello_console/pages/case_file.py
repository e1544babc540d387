"""Intake's file of a case, as the console's own view of the case expects it.

The console reads routing's decisions from the bus as intake does, usually a moment before
intake has applied them. So an office may see a case in its queue that intake does not yet let
it read, and a case page refreshed by routing's event may fetch a file that does not show that
event yet. In both cases the page waits for intake, `CATCH_UP_S` at most.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import HTTPException

from ..queues import in_scope, seen_assignment
from ..services import Refused
from .common import Console

CATCH_UP_S = 3.0
STEP_S = 0.1


async def file_of(console: Console, case_id: UUID) -> dict[str, Any]:
    """Intake's file; 403 for an office waits while the office's queues show the case."""
    waited = 0.0
    while True:
        try:
            case: dict[str, Any] = await console.get("intake", f"/cases/{case_id}")
            return case
        except Refused as refused:
            if not (waited < CATCH_UP_S and _in_its_queues(console, case_id, refused)):
                raise HTTPException(refused.status, refused.detail) from refused
        await asyncio.sleep(STEP_S)
        waited += STEP_S


async def live_file_of(console: Console, case_id: UUID) -> dict[str, Any]:
    """Intake's file once it shows the assignment the console has seen (routing's event that
    refreshed the page), or after `CATCH_UP_S`."""
    case = await file_of(console, case_id)
    seen = seen_assignment(console.model, str(case_id))
    waited = 0.0
    while seen is not None and _behind(case, *seen) and waited < CATCH_UP_S:
        await asyncio.sleep(STEP_S)
        waited += STEP_S
        case = await file_of(console, case_id)
    return case


def _in_its_queues(console: Console, case_id: UUID, refused: Refused) -> bool:
    """Intake refuses an office a case that the console's view puts in that office's queues."""
    office = refused.status == 403 and console.user.kind == "office"
    return office and in_scope(console.model, console.user, str(case_id))


def _behind(case: dict[str, Any], organization: str | None, at: str) -> bool:
    """Intake's file names another organization and has nothing as recent as the console's."""
    if organization is None or case.get("organization") == organization:
        return False
    latest = max((entry["occurred_at"] for entry in case.get("timeline", ())), default=None)
    return latest is None or datetime.fromisoformat(latest) < datetime.fromisoformat(at)
