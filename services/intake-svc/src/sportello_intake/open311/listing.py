"""The GeoReport `GET requests` query: the references asked for, or else a fan-out of index
queries (one per service code and status the caller may see, in the tenant's window), merged
newest first and cut at the spec's limit; then what the caller may see of each case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sportello_shared.privacy import PublicationView
from sportello_shared.tenants import Category, Tenant

from ..domain import Case
from ..search import CaseQuery, CaseRow
from . import mapping, showing
from .formats import Open311Error


class CaseReads(Protocol):
    """What the listing reads through (router.py's `Open311`)."""

    async def search(self, query: CaseQuery) -> list[CaseRow]: ...
    async def cases(self, rows: Sequence[CaseRow]) -> list[Case]: ...
    async def by_reference(self, tenant: Tenant, references: Sequence[str]) -> list[Case]: ...


@dataclass(frozen=True)
class RequestsAsked:
    """The arguments of `GET requests`, as the client gave them."""

    service_request_id: str | None = None
    service_code: str | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    status: str | None = None


def category_of(tenant: Tenant, service_code: str) -> Category:
    category = tenant.category(service_code)
    if category is None:
        raise Open311Error(404, f"service_code {service_code} was not found")
    return category


async def requests_listed(
    reads: CaseReads, tenant: Tenant, view: PublicationView, asked: RequestsAsked, now: datetime
) -> list[dict[str, Any]]:
    """The service requests to answer, as the caller may see them."""
    references = mapping.listed(asked.service_request_id, "service_request_id")
    if references:  # the spec: a list of ids overrides every other argument
        cases = await reads.by_reference(tenant, references)  # at most MAX_ROWS
        return showing.shown(cases, tenant, view)
    codes = mapping.listed(asked.service_code, "service_code")
    for code in codes:
        category_of(tenant, code)
    statuses = set(mapping.listed(asked.status, "status", {"open", "closed"}))
    start, end = mapping.window(asked.start_date, asked.end_date, now, tenant)
    if view.categories is not None:  # only what the caller may see, maybe nothing
        codes = view.visible(codes or [c.service_code for c in tenant.categories])
        if not codes:
            return []
    queries = mapping.requests_queries(tenant, codes, statuses, start, end)
    found = [row for query in queries for row in await reads.search(query)]
    rows = sorted(found, key=lambda r: (-r.received_us, r.case_id))[: mapping.MAX_ROWS]
    return showing.shown(await reads.cases(rows), tenant, view)
