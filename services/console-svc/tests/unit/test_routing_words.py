"""Routing's reasons in Italian for Italian staff: every phrase routing-svc's own decisions
produce (the real rules of every tenant, over varied cases) has its Italian wording."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sportello_console.routing_words import staff_reason
from sportello_routing.adapters.routing_yaml import seed_documents
from sportello_routing.domain.assignment import Assignment
from sportello_routing.domain.decide import back_to_last, decide
from sportello_routing.domain.rules import CaseFacts
from sportello_routing.domain.triage_first import back_to_front_office, forwarded, to_front_office
from sportello_shared.tenants import load_tenants

TENANTS_DIR = Path(__file__).resolve().parents[4] / "deploy" / "tenants"
TENANTS = load_tenants(TENANTS_DIR)
DOCUMENTS = {
    d.tenant: d.rules_document(TENANTS[d.tenant]) for d in seed_documents(TENANTS_DIR, TENANTS)
}
DESCRIPTIONS = ("", "Il parcometro non funziona", "Allagamento in via Roma, tombino otturato")
PLACES = ((None, None), (43.68, 10.275), (45.07, 7.68))


def every_reason() -> set[str]:
    """What routing says, deciding with each tenant's rules over many cases."""
    reasons: set[str] = set()
    for tenant in TENANTS:
        document = DOCUMENTS[tenant.id]
        organizations = {o.id: o for o in tenant.organizations}
        for category in [c.service_code for c in tenant.categories] + ["sconosciuta"]:
            for description in DESCRIPTIONS:
                for lat, lon in PLACES:
                    for kind, channel in (("segnalazione", "phone"), ("reclamo", "voicemail")):
                        facts = CaseFacts(tenant.id, kind, channel, category, description, lat, lon)
                        first = decide(facts, document, 1, organizations)
                        declined = {first.decision.organization}
                        again = decide(facts, document, 1, organizations, excluded=declined)
                        for explanation in (first, again):
                            reasons |= set(explanation.decision.reasons)
                            for verdict in explanation.verdicts:
                                reasons |= set(verdict.reasons)
                        last = organizations.get(first.decision.organization)
                        reasons |= set(back_to_last(last, 1, again.decision).reasons)
    reasons.add("reassigned by anna@pisa")  # a manual reassignment (routing's application)
    return reasons | triage_first_reasons() | classification_reasons()


def classification_reasons() -> set[str]:
    """What routing records when the triage classifies a case (its Assignment aggregate)."""
    facts = CaseFacts("torino", "segnalazione", "voicemail", "da_classificare", "", None, None)
    assignment = Assignment.open("case-1", "TO-2026-000001", facts)
    assignment.reclassify("reclamo", "reclami_polizia_municipale", datetime.now(UTC))
    return {reason for step in assignment.history for reason in step["reasons"]}


def triage_first_reasons() -> set[str]:
    """What routing says of a triage-first tenant's case: to the front office, forwarded (by
    choice, by the rules, to an organization that takes no cases) and back with the answer."""
    reasons: set[str] = set()
    for tenant in (t for t in TENANTS if t.triage_first):
        organizations = {o.id: o for o in tenant.organizations}
        front = organizations[tenant.triage]
        category = tenant.categories[0].service_code
        facts = CaseFacts(tenant.id, "reclamo", "phone", category, "", None, None)
        by_rules = decide(facts, DOCUMENTS[tenant.id], 1, organizations).decision
        office = organizations[by_rules.organization]
        reasons |= set(to_front_office(front, by_rules).reasons)
        for to, chosen in ((office.id, office), (None, None), ("nessuno", None)):
            reasons |= set(forwarded(to, chosen, front, front.id, by_rules, category).reasons)
        reasons |= set(back_to_front_office(office.name, front, 1).reasons)
        # forwarded, but no rule places it with another office: back to the front office
        for kept in (c.service_code for c in tenant.categories):
            facts = CaseFacts(tenant.id, "reclamo", "phone", kept, "", None, None)
            document = DOCUMENTS[tenant.id]
            unplaced = decide(facts, document, 1, organizations, excluded={front.id}).decision
            if unplaced.failed:
                reasons |= set(forwarded(None, None, front, front.id, unplaced, kept).reasons)
    return reasons


REASONS = sorted(every_reason())


def test_the_decisions_say_enough_different_things_to_be_worth_checking() -> None:
    assert len(REASONS) > 40
    starts = {r.split(" ")[0] for r in REASONS}
    assert {"the", "category", "matched", "no", "case", "reassigned"} <= starts
    assert {"workflow", "then", "forwarded"} <= starts  # the triage-first tenants' decisions
    assert any(r.startswith("no rule places the forwarded case") for r in REASONS)


@pytest.mark.parametrize("reason", REASONS)
def test_every_reason_routing_gives_has_its_italian_wording(reason: str) -> None:
    italian = staff_reason(reason, "it")
    assert italian != reason, f"no Italian for: {reason}"
    english = re.compile(r"\b(is|the|case|rule|mentions|declined|competent|outside)\b")
    assert not english.search(italian), (reason, italian)
    assert staff_reason(reason, "en") == reason


def test_names_and_values_are_kept_as_routing_gave_them() -> None:
    assert staff_reason("Pisamo S.r.l. is competent", "it") == "Pisamo S.r.l. è competente"
    assert staff_reason("category 'tributi' is not one of ['parcheggi']", "it") == (
        "la categoria 'tributi' non è tra ['parcheggi']"
    )
    assert staff_reason("something routing says one day", "it") == "something routing says one day"


def test_kinds_channels_and_categories_are_named_where_the_console_knows_them() -> None:
    names = {
        ("category", "decoro_pulizia"): "Decoro e pulizia della città",
        ("kind", "reclamo"): "Reclamo",
    }

    def value_name(what: str, code: str) -> str | None:
        return names.get((what, code))

    assert staff_reason("category is 'decoro_pulizia'", "it", value_name) == (
        "la categoria è «Decoro e pulizia della città»"
    )
    assert staff_reason("kind 'reclamo' is not one of ['segnalazione']", "it", value_name) == (
        "il tipo «Reclamo» non è tra ['segnalazione']"
    )
    assert staff_reason("channel is 'fax'", "it", value_name) == "il canale è 'fax'"  # unknown
    assert staff_reason("classified as decoro_pulizia (reclamo)", "it", value_name) == (
        "classificata come «Decoro e pulizia della città» («Reclamo»)"
    )
