"""Each tenant's category table routes where the tenant's documents say."""

from __future__ import annotations

from pathlib import Path

import pytest
from sportello_routing.domain import decide
from sportello_shared.tenants import load_tenants

TENANTS = load_tenants(Path(__file__).parents[4] / "deploy" / "tenants")


@pytest.mark.parametrize(
    ("tenant", "category", "organization"),
    [
        ("pisa", "parcheggi", "pisamo"),
        ("pisa", "tributi", "sepi"),
        ("pisa", "patrimonio_casa", "patrimonio"),
        ("pisa", "farmacie", "farmacie-comunali"),
        ("pisa", "porto", "port-authority"),
        ("torino", "reclami_polizia_municipale", "pm-reparto-6"),
        ("torino", "allarme_sociale", "pm-reparto-3"),
        ("marcallo", "allagamenti", "ufficio-tecnico"),
    ],
)
def test_a_category_goes_to_its_organization(tenant: str, category: str, organization: str) -> None:
    decision = decide(TENANTS[tenant], category)
    assert not decision.failed
    assert decision.organization == organization
    assert decision.rule_id == f"category:{category}"
    assert organization in decision.reasons[0] or decision.organization_name in decision.reasons[0]


def test_every_category_of_every_tenant_is_routed() -> None:
    for tenant in TENANTS:
        for category in tenant.categories:
            assert not decide(tenant, category.service_code).failed, (
                tenant.id,
                category.service_code,
            )


def test_an_unknown_category_goes_to_triage_with_the_reason() -> None:
    decision = decide(TENANTS["torino"], "ufo_sightings")
    assert decision.failed
    assert decision.organization == "contact-center"
    assert "ufo_sightings" in decision.reasons[0]
