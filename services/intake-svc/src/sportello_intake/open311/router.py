"""GeoReport v2 under /open311/v2/: thin handlers over intake's use cases (see mapping.py)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from sportello_contracts.cases import Channel
from sportello_shared import outages
from sportello_shared.edge import ServiceEdge
from sportello_shared.privacy import PublicationView
from sportello_shared.tenants import Tenant
from sportello_shared.tracing import child_traceparent
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from ..application import (
    CaseNotFound,
    IdempotencyConflict,
    IntakeApplication,
    LateEntryNeedsReason,
    Registration,
)
from ..contacts import ContactUnusable
from ..domain import Case
from ..recent import cases_by_reference
from ..search import CaseQuery, CaseRow
from . import mapping, showing
from .formats import Format, Open311Error, render, render_error
from .keys import ApiClient, api_keys
from .listing import RequestsAsked, category_of, requests_listed

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MAX_FIELDS = 100


class Open311Route(APIRoute):
    """Every error of these routes in the spec's shape and in the format the URL asked for."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            fmt = Format.of(request.path_params.get("format"))
            try:
                return await handler(request)
            except Open311Error as error:
                return render_error(fmt, error)
            except RequestValidationError as exc:
                described = (mapping.describe(e, skip=1) for e in exc.errors())
                return render_error(fmt, Open311Error(400, *described))

        return answer


router = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=Open311Route)


class Open311(ServiceEdge[IntakeApplication]):
    """The application and its registration queue, as these handlers see them."""

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        # the same group-commit queue as every other registration: one transaction for many
        self.registrations = self.runtime.batcher("registrations", self.app.register_cases)
        self.production: bool = self.runtime.settings.environment == "production"
        self.traceparent = child_traceparent(request.headers.get("traceparent"))

    def tenant(self, jurisdiction_id: str | None) -> Tenant:
        if not jurisdiction_id:
            raise Open311Error(400, "jurisdiction_id was not provided")
        tenant = self.app.tenants.get(jurisdiction_id)
        if tenant is None:
            raise Open311Error(404, f"jurisdiction_id {jurisdiction_id} was not found")
        return tenant

    async def search(self, query: CaseQuery) -> list[CaseRow]:
        rows, _ = await outages.read(self.app.search_cases, query)
        return rows

    async def by_reference(self, tenant: Tenant, references: Sequence[str]) -> list[Case]:
        """Indexed or not yet: a reference just given to the client reads back at once."""
        return await outages.read(cases_by_reference, self.app, tenant.id, references)

    async def cases(self, rows: Sequence[CaseRow]) -> list[Case]:
        # Reads only, off the writer thread: a long listing never holds up registrations.
        return await outages.read(lambda: [self.app.get_case(UUID(row.case_id)) for row in rows])


def output_format(format: str) -> Format:  # the spec's `.{format}` suffix
    if format not in set(Format):
        raise Open311Error(404, f"format {format} is not supported: use json or xml")
    return Format(format)


def jurisdiction(
    o311: Annotated[Open311, Depends(Open311)],
    jurisdiction_id: Annotated[str | None, Query(max_length=63)] = None,
) -> Tenant:
    return o311.tenant(jurisdiction_id)


def reader(
    tenant: Annotated[Tenant, Depends(jurisdiction)],
    api_key: Annotated[str | None, Query(max_length=200)] = None,
) -> PublicationView:
    """What the caller may read: the tenant's public listing, or what its valid key is granted."""
    if api_key is None:
        return PublicationView.public(tenant.privacy)
    client = _client(api_key)
    if client.tenant != tenant.id:
        raise Open311Error(403, f"this api_key may not read requests of {tenant.id}")
    granted = PublicationView.granted(tenant.privacy, client.sees)
    return replace(granted, submitter=mapping.submitter(client.client))


FormatDep = Annotated[Format, Depends(output_format)]
TenantDep = Annotated[Tenant, Depends(jurisdiction)]
Open311Dep = Annotated[Open311, Depends(Open311)]
ReaderDep = Annotated[PublicationView, Depends(reader)]


@router.get("/discovery.{format}")
async def discovery(request: Request, fmt: FormatDep, o311: Open311Dep) -> Response:
    url = str(request.url_for("discovery", format=fmt.value)).rsplit("/", 1)[0] + "/"
    return render(fmt, "discovery", mapping.discovery(url, o311.production))


@router.get("/services.{format}")
async def services(fmt: FormatDep, tenant: TenantDep) -> Response:
    return render(fmt, "services", [mapping.service(c) for c in tenant.categories])


@router.get("/services/{service_code}.{format}")
async def service_definition(service_code: str, fmt: FormatDep, tenant: TenantDep) -> Response:
    category = category_of(tenant, service_code)
    return render(fmt, "service_definition", mapping.service_definition(category))


@router.post("/requests.{format}")
async def post_request(
    request: Request,
    fmt: FormatDep,
    o311: Open311Dep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    fields = await _form(request)
    client = _client(fields.pop("api_key", None) or request.query_params.get("api_key"))
    tenant = o311.tenant(fields.get("jurisdiction_id") or client.tenant)
    if tenant.id != client.tenant:
        raise Open311Error(403, f"this api_key may not submit requests to {tenant.id}")
    submission = mapping.parse_submission(fields)
    category = category_of(tenant, submission.service_code)
    command = mapping.registration(
        submission, tenant, category, client.client, idempotency_key, o311.traceparent
    )
    try:
        registration: Registration = await o311.registrations.submit(command)
    except IdempotencyConflict as exc:
        raise Open311Error(400, f"Idempotency-Key: {exc}") from exc
    except (ContactUnusable, LateEntryNeedsReason) as exc:  # the door rules, in the spec's shape
        raise Open311Error(400, f"{exc.problem_extra()['field']}: {exc}") from exc
    body = [mapping.receipt(registration.case, submission.account_id)]
    return render(fmt, "service_requests", body, status=201 if registration.created else 200)


@router.get("/requests.{format}")
async def get_requests(
    fmt: FormatDep,
    tenant: TenantDep,
    o311: Open311Dep,
    view: ReaderDep,
    service_request_id: Annotated[str | None, Query(max_length=20_000)] = None,
    service_code: Annotated[str | None, Query(max_length=2_000)] = None,
    start_date: datetime | None = None,
    end_date: datetime | None = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    asked = RequestsAsked(service_request_id, service_code, start_date, end_date, status)
    shown = await requests_listed(o311, tenant, view, asked, datetime.now(UTC))
    return render(fmt, "service_requests", shown)


@router.get("/requests/{service_request_id}.{format}")
async def get_request(
    service_request_id: str, fmt: FormatDep, tenant: TenantDep, o311: Open311Dep, view: ReaderDep
) -> Response:
    cases = await o311.by_reference(tenant, [service_request_id])
    if not cases:
        raise Open311Error(404, f"service_request_id {service_request_id} was not found")
    shown = showing.shown(cases[:1], tenant, view)
    if not shown:  # a case the caller may not see is not found: references are sequential
        raise Open311Error(404, f"service_request_id {service_request_id} was not found")
    return render(fmt, "service_requests", shown)


@router.get("/tokens/{token}.{format}")
async def get_token(token: str, fmt: FormatDep, tenant: TenantDep, o311: Open311Dep) -> Response:
    case = await _case_of_token(o311, token)
    if case is None or case.tenant != tenant.id or case.channel != Channel.OPEN311:
        raise Open311Error(404, f"token {token} was not found")
    return render(fmt, "service_requests", [{"service_request_id": case.reference, "token": token}])


async def _case_of_token(o311: Open311, token: str) -> Case | None:
    try:
        case_id = UUID(token)
    except ValueError:
        return None
    try:
        return await outages.read(o311.app.get_case, case_id)
    except CaseNotFound:
        return None


async def _form(request: Request) -> dict[str, str]:
    """The POST's form fields, each given once (the body's size is bounded at the edge)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in FORM_TYPES:
        raise Open311Error(400, "the request must be form-encoded (x-www-form-urlencoded)")
    try:
        form = await request.form(max_files=1, max_fields=MAX_FIELDS)
    except HTTPException as exc:
        raise Open311Error(400, f"the form cannot be read: {exc.detail}") from exc
    fields: dict[str, str] = {}
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            raise Open311Error(400, f"{name}: files are not accepted, send media_url")
        if name in fields:
            raise Open311Error(400, f"{name} was given more than once")
        fields[name] = value
    return fields


def _client(api_key: str | None) -> ApiClient:
    if not api_key:
        raise Open311Error(403, "api_key was not provided")
    client = api_keys().client_for(api_key)
    if client is None:
        raise Open311Error(403, "api_key is not valid")
    return client
