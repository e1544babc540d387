"""What the handlers are given: the application, its writer, the template renderer."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import cache
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from sportello_shared.application import Writer
from sportello_shared.tenants import Tenant

from ..adapters.rendering import TemplateRenderer
from ..application import NotifyApplication


@cache
def renderer() -> TemplateRenderer:
    return TemplateRenderer()


class Notify:
    """The application and its writer, as the HTTP handlers see them."""

    def __init__(self, request: Request) -> None:
        runtime = request.app.state.runtime
        self.app: NotifyApplication = runtime.app
        self.writer: Writer = runtime.writer
        self.renderer = renderer()

    def tenant(self, tenant_id: str, field: str = "tenant") -> Tenant:
        tenant = self.app.tenants.get(tenant_id)
        if tenant is None:
            raise invalid(field, f"unknown tenant {tenant_id!r}")
        return tenant


NotifyDep = Annotated[Notify, Depends(Notify)]


def invalid(field: str, message: str) -> RequestValidationError:
    """A 422 naming the query field, like FastAPI's own validation errors."""
    return RequestValidationError(
        [{"loc": ("query", field), "msg": message, "type": "value_error"}]
    )


def start_of(day: date, tenant: Tenant) -> datetime:
    """Midnight of `day` where the tenant is, in UTC."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(tenant.timezone)).astimezone(UTC)
