"""The directory of organizations per tenant: list, read, add or replace, remove."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Response
from pydantic import EmailStr, Field
from sportello_shared.auth import ACTOR_NOTE, Actor, claimed_actor
from sportello_shared.tenants import SLUG, OpeningSpan, Organization

from .deps import Body, RoutingDep

router = APIRouter(tags=["directory"])

OrganizationId = Path(pattern=SLUG)


class OrganizationRequest(Body):
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(pattern=r"^(office|partner)$")
    email: EmailStr
    accepts_cases: bool = True
    hours: list[OpeningSpan] = Field(default_factory=list)
    actor: str = Field(default="ops", min_length=1, max_length=200, description=ACTOR_NOTE)

    def organization(self, organization_id: str) -> Organization:
        return Organization.model_validate(
            self.model_dump(exclude={"actor"}) | {"id": organization_id}
        )


@router.get("/directory/{tenant}")
async def list_organizations(tenant: str, routing: RoutingDep) -> list[Organization]:
    directory = await routing.call(routing.app.directory, tenant)
    return list(directory.organizations.values())


@router.get("/directory/{tenant}/organizations/{organization_id}")
async def get_organization(tenant: str, organization_id: str, routing: RoutingDep) -> Organization:
    directory = await routing.call(routing.app.directory, tenant)
    return directory.organization(organization_id)


@router.put("/directory/{tenant}/organizations/{organization_id}")
async def put_organization(
    tenant: str,
    body: OrganizationRequest,
    routing: RoutingDep,
    actor: Actor,
    organization_id: str = OrganizationId,
) -> Organization:
    organization = body.organization(organization_id)
    await routing.call(routing.app.put_organization, tenant, organization, actor)
    return organization


@router.delete(
    "/directory/{tenant}/organizations/{organization_id}",
    status_code=204,
    dependencies=[Depends(claimed_actor)],
)
async def remove_organization(
    tenant: str,
    organization_id: str,
    routing: RoutingDep,
    actor: Actor,
) -> Response:
    await routing.call(routing.app.remove_organization, tenant, organization_id, actor)
    return Response(status_code=204)
