"""What every page handler needs: the store, the services, the tenants, limits, templates."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sportello_shared.tenants import Tenant, TenantCatalogue
from starlette.exceptions import HTTPException

from .limits import SlidingWindow
from .mail import SmtpSettings
from .services import Services
from .submissions import PublicApplication


@dataclass
class Site:
    app: PublicApplication
    services: Services
    tenants: TenantCatalogue
    templates: Jinja2Templates
    smtp: SmtpSettings
    base_url: str
    per_email: SlidingWindow
    per_client: SlidingWindow
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def now(self) -> datetime:
        return self.clock()

    async def store(self, method: Any, *args: Any) -> Any:
        """The event store off the event loop (SQLite or PostgreSQL)."""
        return await asyncio.to_thread(method, *args)

    def page(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any],
        status: int = 200,
    ) -> HTMLResponse:
        values = dict(context)
        tenant = values.get("tenant")
        if isinstance(tenant, Tenant):  # the tenant's name in the header and footer
            values["brand"] = {"site": tenant.name, "owner": tenant.name, "tenant": tenant.id}
        return self.templates.TemplateResponse(request, template, values, status_code=status)

    def message(
        self, request: Request, tenant: Tenant, key: str, status: int = 200, more: str = ""
    ) -> HTMLResponse:
        """A page that says one thing: thanks, expired, not found, try again later (and, with
        `more`, what to do about it)."""
        context = {"tenant": tenant, "key": key, "more": more}
        return self.page(request, "message.html", context, status)


def site_of(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


def tenant_of(request: Request, tenant: str) -> Tenant:
    known = site_of(request).tenants.get(tenant)
    if known is None:
        raise HTTPException(404)
    return known


SiteDep = Annotated[Site, Depends(site_of)]
TenantDep = Annotated[Tenant, Depends(tenant_of)]
