"""The five tenant configurations under deploy/tenants load and carry the seeds' key facts."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
from sportello_shared.tenants import Tenant, TenantCatalogue, load_tenants

TENANTS_DIR = Path(__file__).parents[3] / "deploy" / "tenants"

PREFIXES = {
    "torino": "TO",
    "casale-monferrato": "CM",
    "rescaldina": "RE",
    "marcallo": "MA",
    "pisa": "PI",
}

# The only real addresses in the configuration: each is printed in a seed document.
SEED_EMAILS = {
    "contactcenterpm@comune.torino.it",
    "infopm@comune.torino.it",
    "urp@comune.casale-monferrato.al.it",
    "urp@comune.rescaldina.mi.it",
}


def _catalogue() -> TenantCatalogue:
    return load_tenants(TENANTS_DIR)


def _tenant(tenant_id: str) -> Tenant:
    return _catalogue()[tenant_id]


def test_the_five_tenants_exist_with_their_prefixes() -> None:
    tenants = {t.id: t for t in _catalogue()}
    assert set(tenants) == set(PREFIXES)
    assert {tid: t.reference_prefix for tid, t in tenants.items()} == PREFIXES
    assert len({t.reference_prefix for t in tenants.values()}) == len(PREFIXES)


@pytest.mark.parametrize("tenant_id", sorted(PREFIXES))
def test_every_category_goes_to_an_organization_that_accepts_cases(tenant_id: str) -> None:
    tenant = _tenant(tenant_id)
    assert tenant.timezone == "Europe/Rome"
    assert tenant.categories
    codes = [c.service_code for c in tenant.categories]
    assert len(codes) == len(set(codes)), "service codes are unique within a tenant"
    org_ids = [o.id for o in tenant.organizations]
    assert len(org_ids) == len(set(org_ids)), "organization ids are unique within a tenant"
    triage = tenant.organization(tenant.triage)
    assert triage is not None and triage.accepts_cases
    for category in tenant.categories:
        org = tenant.organization(category.organization)
        assert org is not None, category.service_code
        assert org.accepts_cases, category.service_code
        assert category.keywords, category.service_code


@pytest.mark.parametrize("tenant_id", sorted(PREFIXES))
def test_no_invented_real_addresses(tenant_id: str) -> None:
    for org in _tenant(tenant_id).organizations:
        assert org.email in SEED_EMAILS or org.email == f"{org.id}@{tenant_id}.sportello.example", (
            org.email
        )


@pytest.mark.parametrize(
    ("tenant_id", "patron_saint"),
    [
        ("torino", "06-24"),
        ("pisa", "06-17"),
        ("casale-monferrato", "11-12"),
        ("rescaldina", None),
        ("marcallo", None),
    ],
)
def test_patron_saints(tenant_id: str, patron_saint: str | None) -> None:
    assert _tenant(tenant_id).patron_saint == patron_saint


@pytest.mark.parametrize(
    ("words", "organization"),
    [
        ({"tributi"}, "sepi"),
        ({"parcheggi", "mobilita"}, "pisamo"),
        ({"casa", "patrimonio"}, "patrimonio"),
        ({"farmacie"}, "farmacie-comunali"),
        ({"porto"}, "port-authority"),
    ],
)
def test_pisa_routes_partecipate_matters_to_the_partner(words: set[str], organization: str) -> None:
    pisa = _tenant("pisa")
    matching = [c for c in pisa.categories if words & set(c.service_code.split("_"))]
    assert matching, words
    assert {c.organization for c in matching} == {organization}
    partner = pisa.organization(organization)
    assert partner is not None and partner.kind == "partner"


def test_pisa_urp_is_the_numero_unico_with_split_hours() -> None:
    pisa = _tenant("pisa")
    assert pisa.triage == "urp"
    urp = pisa.organization("urp")
    assert urp is not None and urp.kind == "office"
    monday = sorted((s.opens, s.closes) for s in urp.hours if s.weekday == 0)
    assert monday == [(time(9, 0), time(13, 15)), (time(14, 15), time(17, 0))]
    assert {s.weekday for s in urp.hours} == {0, 1, 2, 3, 4}
    partners = {o.id for o in pisa.organizations if o.kind == "partner"}
    assert partners == {"sepi", "pisamo", "patrimonio", "farmacie-comunali", "port-authority"}


def test_torino_has_six_categories_and_pm_complaints_go_to_a_pm_reparto() -> None:
    torino = _tenant("torino")
    assert len(torino.categories) == 6
    assert torino.triage == "contact-center"
    assert torino.organization("pm-reparto-3") is not None
    complaints = torino.category("reclami_polizia_municipale")
    assert complaints is not None
    assert complaints.organization.startswith("pm-reparto-")
    contact_center = torino.organization("contact-center")
    assert contact_center is not None
    assert {(s.weekday, s.opens, s.closes) for s in contact_center.hours} == {
        (day, time(8, 0), time(15, 0)) for day in range(5)
    }


def test_marcallo_urgent_categories() -> None:
    marcallo = _tenant("marcallo")
    urgent = {c.service_code for c in marcallo.categories if c.urgent}
    assert urgent == {
        "allagamenti",
        "illuminazione_corrente",
        "rete_idrica",
        "quiete_pubblica",
        "disagio",
    }
    urp = marcallo.organization(marcallo.triage)
    assert urp is not None
    assert {s.weekday for s in urp.hours} == set(range(7))
    assert all(s.opens == time(0, 0) and s.closes == time(23, 59) for s in urp.hours)


def test_casale_attestation_categories() -> None:
    casale = _tenant("casale-monferrato")
    attestations = [c for c in casale.categories if "attestazione" in c.keywords]
    assert {c.service_code for c in attestations} == {
        "attestazione_zone_non_metanizzate",
        "attestazione_idoneita_alloggiativa",
    }
    assert all(c.group == "Attestazioni" for c in attestations)
    routed = {c.service_code: c.organization for c in attestations}
    assert routed["attestazione_zone_non_metanizzate"] == "urbanistica"
    assert routed["attestazione_idoneita_alloggiativa"] == "polizia-locale"
    non_attestations = [c for c in casale.categories if c.group != "Attestazioni"]
    assert non_attestations and all("attestazione" not in c.keywords for c in non_attestations)


def test_rescaldina_urp_hours() -> None:
    urp = _tenant("rescaldina").organization("urp")
    assert urp is not None
    spans = {(s.weekday, s.opens, s.closes) for s in urp.hours}
    assert (2, time(16, 30), time(18, 15)) in spans
    assert (5, time(9, 0), time(11, 30)) in spans
    assert {(d, time(9, 0), time(13, 30)) for d in range(5)} <= spans
