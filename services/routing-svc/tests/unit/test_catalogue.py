"""Each tenant's catalogue lands where the tenant's documents say (seeds and tenant.yaml)."""

from __future__ import annotations

import pytest
from sportello_routing.domain import validate

from .conftest import DOCUMENTS, TENANTS, route


@pytest.mark.parametrize("tenant", sorted(DOCUMENTS))
def test_the_shipped_rules_are_valid_and_cover_every_category(tenant: str) -> None:
    document = DOCUMENTS[tenant]
    organizations = {o.id: o for o in document.directory(TENANTS[tenant])}
    categories = {c.service_code for c in TENANTS[tenant].categories}
    report = validate(document.rules_document(TENANTS[tenant]), organizations, categories)
    assert report.errors == ()
    assert report.warnings == ()


@pytest.mark.parametrize(
    ("tenant", "category"),
    [(t.id, c.service_code) for t in TENANTS for c in t.categories],
)
def test_every_category_goes_to_the_organization_tenant_yaml_names(
    tenant: str, category: str
) -> None:
    expected = TENANTS[tenant].category(category)
    assert expected is not None
    decision = route(tenant, category, description="nessuna parola particolare").decision
    assert not decision.failed
    assert decision.organization == expected.organization
    assert decision.rule_version == 1


@pytest.mark.parametrize(
    ("tenant", "category", "organization"),
    [
        # Pisa: the partecipate (DESIGN.md §1, seed 004)
        ("pisa", "tributi", "sepi"),
        ("pisa", "parcheggi", "pisamo"),
        ("pisa", "patrimonio_casa", "patrimonio"),
        ("pisa", "farmacie", "farmacie-comunali"),
        ("pisa", "porto", "port-authority"),
        ("pisa", "servizi_comunali", "urp"),
        # Torino: the six matters of the Carta, each to its Reparto (seed 000)
        ("torino", "qualita_urbana", "pm-reparto-1"),
        ("torino", "convivenza_civile", "pm-reparto-2"),
        ("torino", "allarme_sociale", "pm-reparto-3"),
        ("torino", "tutela_consumatore", "pm-reparto-4"),
        ("torino", "decoro_pulizia", "pm-reparto-5"),
        ("torino", "reclami_polizia_municipale", "pm-reparto-6"),
        # Casale: attestations to the offices the Carta names (seed 001)
        ("casale-monferrato", "attestazione_zone_non_metanizzate", "urbanistica"),
        ("casale-monferrato", "attestazione_idoneita_alloggiativa", "polizia-locale"),
        ("casale-monferrato", "spid_point", "urp"),
        # Marcallo: the urgent matters (seed 003)
        ("marcallo", "allagamenti", "ufficio-tecnico"),
        ("marcallo", "illuminazione_corrente", "illuminazione-pubblica"),
        ("marcallo", "rete_idrica", "rete-idrica"),
        ("marcallo", "quiete_pubblica", "polizia-locale"),
        # Rescaldina: each area (seed 002)
        ("rescaldina", "strade_segnaletica", "area-tecnica"),
        ("rescaldina", "viabilita_sicurezza", "polizia-locale"),
        ("rescaldina", "servizi_persona", "area-servizi-persona"),
    ],
)
def test_the_seeds_catalogue(tenant: str, category: str, organization: str) -> None:
    decision = route(tenant, category).decision
    assert decision.organization == organization
    assert decision.rule_id == category or category in decision.reasons[0]


def test_a_torino_complaint_about_the_contact_center_goes_to_the_sportello_del_cittadino() -> None:
    explanation = route(
        "torino",
        "reclami_polizia_municipale",
        kind="reclamo",
        description="Al Contact Center nessuno risponde mai",
    )
    assert explanation.decision.organization == "sportello-cittadino"
    assert explanation.decision.rule_id == "reclami-contact-center"
    assert any("'contact center'" in r for r in explanation.decision.reasons)


def test_the_same_words_in_a_report_that_is_not_a_complaint_follow_the_category() -> None:
    decision = route(
        "torino", "decoro_pulizia", kind="segnalazione", description="contact center"
    ).decision
    assert decision.organization == "pm-reparto-5"


@pytest.mark.parametrize(
    ("tenant", "category", "description", "organization"),
    [
        ("pisa", "segnalazioni", "Mi è arrivato un avviso della TARI sbagliato", "sepi"),
        ("pisa", "segnalazioni", "Il parcometro in piazza non dà il resto", "pisamo"),
        ("pisa", "servizi_comunali", "Vorrei un posto barca", "port-authority"),
        ("pisa", "segnalazioni", "Lampione spento in via Roma", "urp"),
        ("marcallo", "disservizi", "C'è acqua in strada dopo la pioggia", "ufficio-tecnico"),
        ("marcallo", "disservizi", "Musica alta fino alle 3", "polizia-locale"),
        ("rescaldina", "altro", "Una buca enorme davanti alla scuola", "area-tecnica"),
        ("casale-monferrato", "urp_risponde", "Idoneità alloggiativa: tempi?", "polizia-locale"),
    ],
)
def test_keywords_in_a_generic_category_reach_the_competent_organization(
    tenant: str, category: str, description: str, organization: str
) -> None:
    assert route(tenant, category, description=description).decision.organization == organization


def test_a_pisa_report_inside_the_port_goes_to_the_port_authority() -> None:
    inside = route("pisa", "segnalazioni", at=(43.680, 10.276)).decision
    outside = route("pisa", "segnalazioni", at=(43.716, 10.401)).decision
    assert inside.organization == "port-authority"
    assert inside.rule_id == "segnalazioni-nel-porto"
    assert "porto-di-pisa" in " ".join(inside.reasons)
    assert outside.organization == "urp"


@pytest.mark.parametrize(
    ("tenant", "triage"),
    [
        ("torino", "contact-center"),
        ("pisa", "urp"),
        ("casale-monferrato", "urp"),
        ("rescaldina", "urp"),
        ("marcallo", "urp"),
    ],
)
def test_what_no_rule_routes_goes_to_the_tenant_triage_with_the_reason(
    tenant: str, triage: str
) -> None:
    decision = route(tenant, "ufo_sightings").decision
    assert decision.failed
    assert decision.organization == triage
    assert decision.rule_id == "default"
    assert "ufo_sightings" in decision.reasons[0]


def test_a_reassignment_chain_passes_over_who_declined_then_ends_in_triage() -> None:
    description = "Parcometro guasto e avviso TARI"
    chain = []
    excluded: tuple[str, ...] = ()
    while True:
        decision = route("pisa", "segnalazioni", description=description, excluded=excluded)
        chain.append(decision.decision.organization)
        if decision.decision.failed:
            break
        excluded = (*excluded, decision.decision.organization)
    assert chain == ["sepi", "pisamo", "urp", "urp"]
    last = route("pisa", "segnalazioni", description=description, excluded=excluded).decision
    assert last.reasons == ("no competent organization left after pisamo, sepi, urp declined",)
