"""What every page handler shares: the application's parts, rendering, and service failures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sportello_shared.tenants import TenantCatalogue

from ..feed import Broadcaster
from ..identity import StaffUser
from ..readmodel import ReadModel
from ..replies import Replies
from ..services import Services
from ..settings import ConsoleSettings
from ..signin import access_token, current_user


@dataclass
class Console:
    """The parts a page needs, with the signed-in user and their token."""

    request: Request
    user: StaffUser
    token: str
    settings: ConsoleSettings
    services: Services
    model: ReadModel
    broadcaster: Broadcaster
    templates: Jinja2Templates
    tenants: TenantCatalogue
    replies: Replies

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        return self.templates.TemplateResponse(
            self.request,
            template,
            {"user": self.user, "names": Names(self.tenants), **context},
            status_code=status,
        )

    async def get(self, service: str, path: str, **params: Any) -> Any:
        return await self.services.get(self.token, service, path, **params)

    async def post(self, service: str, path: str, body: dict[str, Any]) -> Any:
        return await self.services.post(self.token, service, path, body)


@dataclass(frozen=True)
class Names:
    """Categories and organizations by their names (the read model keeps only their codes)."""

    tenants: TenantCatalogue

    def category(self, tenant_id: str, code: str) -> str:
        tenant = self.tenants.get(tenant_id)
        category = tenant.category(code) if tenant else None
        return category.name if category else code

    def organization(self, tenant_id: str, code: str | None) -> str:
        tenant = self.tenants.get(tenant_id)
        organization = tenant.organization(code) if tenant and code else None
        return organization.name if organization else (code or "")

    def categories(self, tenant_id: str | None) -> list[tuple[str, str]]:
        """(code, name) of the tenant's categories, by name: what a filter offers."""
        tenant = self.tenants.get(tenant_id) if tenant_id else None
        found = ((c.service_code, c.name) for c in tenant.categories) if tenant else ()
        return sorted(found, key=lambda c: c[1])

    def organizations(self, tenant_id: str | None) -> list[tuple[str, str]]:
        tenant = self.tenants.get(tenant_id) if tenant_id else None
        found = ((o.id, o.name) for o in tenant.organizations) if tenant else ()
        return sorted(found, key=lambda o: o[1])


def console(request: Request, user: Annotated[StaffUser, Depends(current_user)]) -> Console:
    state = request.app.state
    return Console(
        request=request,
        user=user,
        token=access_token(request),
        settings=state.settings,
        services=state.services,
        model=state.model,
        broadcaster=state.broadcaster,
        templates=state.templates,
        tenants=state.tenants,
        replies=state.replies,
    )


ConsoleDep = Annotated[Console, Depends(console)]
