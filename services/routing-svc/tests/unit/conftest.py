"""The shipped tenants and their seed documents, for pure domain tests."""

from __future__ import annotations

from pathlib import Path

from sportello_routing.adapters.routing_yaml import seed_documents
from sportello_routing.domain import CaseFacts, Explanation, RoutingDocument, decide
from sportello_shared.tenants import load_tenants

TENANTS_DIR = Path(__file__).parents[4] / "deploy" / "tenants"
TENANTS = load_tenants(TENANTS_DIR)
DOCUMENTS: dict[str, RoutingDocument] = {d.tenant: d for d in seed_documents(TENANTS_DIR, TENANTS)}


def route(
    tenant: str,
    category: str,
    *,
    kind: str = "segnalazione",
    channel: str = "phone",
    description: str = "",
    at: tuple[float, float] | None = None,
    excluded: tuple[str, ...] = (),
) -> Explanation:
    """Decides on a case with the shipped rules (version 1) and directory of `tenant`."""
    document = DOCUMENTS[tenant]
    organizations = {o.id: o for o in document.directory(TENANTS[tenant])}
    facts = CaseFacts(
        tenant=tenant,
        kind=kind,
        channel=channel,
        category=category,
        description=description,
        lat=at[0] if at else None,
        lon=at[1] if at else None,
    )
    rules = document.rules_document(TENANTS[tenant])
    return decide(facts, rules, 1, organizations, excluded)
