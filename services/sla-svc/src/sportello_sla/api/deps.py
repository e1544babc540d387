"""What every sla-svc handler needs: the application, its writer, its catalogue and board."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sportello_shared import outages
from sportello_shared.edge import ServiceEdge, Where, built_on_the_loop, invalid
from sportello_shared.tenants import UnknownTenant

from ..application import SlaApplication
from ..board import ClockBoard
from ..catalogue import SlaCatalogue, TenantSla


class Sla(ServiceEdge[SlaApplication]):
    """The application and its writer, as the HTTP handlers see them."""

    @property
    def catalogue(self) -> SlaCatalogue:
        return self.app.catalogue

    async def board(self) -> ClockBoard:
        """The board, caught up with what every replica committed (read off the event loop)."""
        await outages.read(self.app.board.catch_up)
        return self.app.board

    def tenant(self, tenant: str, where: Where = "query") -> TenantSla:
        try:
            return self.catalogue[tenant]
        except UnknownTenant as exc:
            invalid("tenant", str(exc), where, it=f"ente sconosciuto: {tenant!r}")


SlaDep = Annotated[Sla, Depends(built_on_the_loop(Sla))]
