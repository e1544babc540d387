"""What every sla-svc handler needs: the application, its writer, and field-named 422s."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, NoReturn

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from sportello_shared.application import Writer
from sportello_shared.runtime import Runtime

from ..application import SlaApplication
from ..board import ClockBoard
from ..catalogue import SlaCatalogue, TenantSla, UnknownTenant


class Sla:
    """The application and its writer, as the HTTP handlers see them."""

    def __init__(self, request: Request) -> None:
        self.runtime: Runtime[Any] = request.app.state.runtime
        self.app: SlaApplication = self.runtime.app
        self.writer: Writer = self.runtime.writer

    @property
    def catalogue(self) -> SlaCatalogue:
        return self.app.catalogue

    async def board(self) -> ClockBoard:
        """The board, caught up with what every replica committed (read off the event loop)."""
        await asyncio.to_thread(self.app.board.catch_up)
        return self.app.board

    def tenant(self, tenant: str, where: str = "query") -> TenantSla:
        try:
            return self.catalogue[tenant]
        except UnknownTenant as exc:
            invalid(where, "tenant", str(exc))


SlaDep = Annotated[Sla, Depends(Sla)]


def invalid(where: str, field: str, message: str) -> NoReturn:
    """A 422 problem+json naming the field, like pydantic's own validation errors."""
    raise RequestValidationError(
        [{"loc": (where, field), "msg": message, "type": "value_error", "input": None}]
    )
