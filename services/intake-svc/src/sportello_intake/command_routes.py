"""One route per row of the transition table: `POST /cases/{case_id}/<step>`.

Made by a factory, not written out: a new row in `domain/transitions.py` with its body in
`bodies.py` is a new route, documented (its 409 too), authorised and traced like the others.
Annotations are evaluated here (no `from __future__ import annotations`): FastAPI reads each
handler's body model from them.
"""

from typing import Any
from uuid import UUID

from fastapi import APIRouter

from .api import IntakeDep
from .bodies import BODIES, OfficeCommand
from .domain import TRANSITIONS, Transition
from .views import CaseView

CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "not possible from the case's status: `possible_steps` lists what is",
    },
}
router = APIRouter(tags=["cases"])


def command_route(transition: Transition, body_model: type[OfficeCommand]) -> Any:
    async def handler(case_id: UUID, body: body_model, intake: IntakeDep) -> CaseView:  # type: ignore[valid-type]
        details = {name: getattr(body, name) for name in transition.fields}
        return await intake.execute(transition, case_id, details, body.occurred_at)  # type: ignore[attr-defined]

    handler.__name__ = transition.command
    handler.__doc__ = transition.summary
    return handler


for _transition in (t for t in TRANSITIONS.values() if t.route):
    router.add_api_route(
        f"/cases/{{case_id}}/{_transition.step}",
        command_route(_transition, BODIES[_transition.command]),
        methods=["POST"],
        responses=CONFLICT,
        name=_transition.command,
    )
