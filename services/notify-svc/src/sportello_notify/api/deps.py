"""What the handlers are given: the application, its writer, the template renderer."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import cache
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from sportello_shared.edge import ServiceEdge, built_on_the_loop, invalid
from sportello_shared.tenants import Tenant

from ..adapters.rendering import TemplateRenderer
from ..application import NotifyApplication


@cache
def renderer() -> TemplateRenderer:
    return TemplateRenderer()


class Notify(ServiceEdge[NotifyApplication]):
    """The application, its writer and the template renderer, as the HTTP handlers see them."""

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        # main.build's, with the tenants' own wording; the global templates otherwise
        self.renderer: TemplateRenderer = getattr(request.app.state, "renderer", None) or renderer()

    def tenant(self, tenant_id: str, field: str = "tenant") -> Tenant:
        tenant = self.app.tenants.get(tenant_id)
        if tenant is None:
            # a query field naming no tenant
            invalid(
                field, it=f"ente sconosciuto: {tenant_id!r}", en=f"unknown tenant {tenant_id!r}"
            )
        return tenant


NotifyDep = Annotated[Notify, Depends(built_on_the_loop(Notify))]


def start_of(day: date, tenant: Tenant) -> datetime:
    """Midnight of `day` where the tenant is, in UTC."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(tenant.timezone)).astimezone(UTC)
