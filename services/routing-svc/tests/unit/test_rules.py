"""Rules one by one: conditions, keywords, areas, order, and who may receive a case."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from sportello_routing.domain import (
    Areas,
    CaseFacts,
    Rule,
    RulesDocument,
    back_to_last,
    decide,
    mentions,
    validate,
)
from sportello_shared.tenants import Organization

ORGS = {
    org_id: Organization(id=org_id, name=org_id.title(), kind="office", email=f"{org_id}@x.it")
    for org_id in ("triage", "alpha", "beta", "gamma")
}


def square(area_id: str, lon: float, lat: float, size: float = 1.0) -> dict[str, Any]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {
        "type": "Feature",
        "id": area_id,
        "properties": {"name": area_id.upper()},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


AREAS = Areas.model_validate(
    {"type": "FeatureCollection", "features": [square("north", 10, 44), square("south", 10, 43)]}
)


def facts(**changes: Any) -> CaseFacts:
    base: dict[str, Any] = {
        "tenant": "t",
        "kind": "segnalazione",
        "channel": "phone",
        "category": "strade",
        "description": "",
    }
    return CaseFacts(**(base | changes))


@pytest.mark.parametrize(
    ("keyword", "description", "found"),
    [
        ("tassa", "La TASSA rifiuti", True),
        ("tassa", "un termine tassativo", False),
        ("città", "la citta è sporca", True),
        ("strisce blu", "parcheggio  sulle Strisce\nBlu", True),
        ("senz'acqua", "siamo senz\u2019acqua da ieri", True),
        ("imu", "comunicazione", False),
    ],
)
def test_keywords_are_whole_words_whatever_the_case_accents_and_spacing(
    keyword: str, description: str, found: bool
) -> None:
    assert mentions(description, keyword) is found


def test_every_condition_must_hold_and_each_failure_is_explained() -> None:
    rule = Rule(
        id="r",
        organization="alpha",
        kinds=("reclamo",),
        channels=("email",),
        categories=("strade",),
    )
    verdict = rule.evaluate(facts(kind="segnalazione", channel="phone"), AREAS)
    assert not verdict.matched
    assert verdict.reasons == (
        "kind 'segnalazione' is not one of ['reclamo']",
        "channel 'phone' is not one of ['email']",
    )
    matched = rule.evaluate(facts(kind="reclamo", channel="email"), AREAS)
    assert matched.matched
    assert matched.reasons == ("kind is 'reclamo'", "channel is 'email'", "category is 'strade'")


def test_an_area_rule_needs_a_location_inside_one_of_its_areas() -> None:
    rule = Rule(id="r", organization="alpha", areas=("north",))
    assert rule.evaluate(facts(lat=44.5, lon=10.5), AREAS).matched
    assert rule.evaluate(facts(lat=43.5, lon=10.5), AREAS).reasons == (
        "the location (43.5, 10.5) is outside ['north']",
    )
    assert rule.evaluate(facts(), AREAS).reasons == ("the case has no location",)


def test_the_first_matching_rule_decides_and_the_explanation_shows_every_rule() -> None:
    rules = RulesDocument(
        default="triage",
        areas=AREAS,
        rules=(
            Rule(id="south-roads", organization="beta", categories=("strade",), areas=("south",)),
            Rule(id="roads", organization="alpha", categories=("strade",)),
            Rule(id="anything", organization="gamma"),
        ),
    )
    explanation = decide(facts(lat=44.2, lon=10.2), rules, 7, ORGS)
    assert explanation.decision.organization == "alpha"
    assert explanation.decision.rule_id == "roads"
    assert explanation.decision.rule_version == 7
    assert [(v.rule_id, v.matched, v.won) for v in explanation.verdicts] == [
        ("south-roads", False, False),
        ("roads", True, True),
        ("anything", True, False),  # matched too: the explanation says why it did not win
    ]
    assert "it decides" in explanation.verdicts[1].reasons[-1]
    assert explanation.verdicts[2].reasons[-1] == "matched too, but rule 'roads' comes first"


def test_keywords_do_not_override_a_chosen_category_unless_a_rule_says_so() -> None:
    greedy = Rule(id="words", organization="gamma", keywords=("buca",))
    on_purpose = greedy.model_copy(update={"overrides_category": True})
    for rule, refused in ((greedy, True), (on_purpose, False)):
        document = RulesDocument(default="triage", rules=(rule,))
        problems = validate(document, ORGS, ["strade"]).errors
        assert any(p.field == "rules.0.keywords" for p in problems) is refused
    scoped = Rule(id="words", organization="gamma", categories=("strade",), keywords=("buca",))
    document = RulesDocument(default="triage", rules=(scoped,))
    assert not [p for p in validate(document, ORGS, ["strade"]).errors if "keywords" in p.field]


def test_an_organization_that_declined_or_takes_no_cases_is_passed_over() -> None:
    closed = ORGS | {"alpha": ORGS["alpha"].model_copy(update={"accepts_cases": False})}
    rules = RulesDocument(
        default="triage",
        rules=(
            Rule(id="a", organization="alpha"),
            Rule(id="b", organization="beta"),
            Rule(id="c", organization="gamma"),
        ),
    )
    explanation = decide(facts(), rules, 1, closed, excluded=("beta",))
    assert explanation.decision.organization == "gamma"
    assert explanation.verdicts[0].reasons[-1] == "Alpha does not accept cases"
    assert explanation.verdicts[1].reasons[-1] == "beta declined the case"


@given(
    excluded=st.sets(st.sampled_from(sorted(ORGS))),
    closed=st.sets(st.sampled_from(sorted(ORGS))),
    kind=st.sampled_from(["segnalazione", "reclamo"]),
)
def test_a_case_never_goes_to_who_declined_or_takes_no_cases(
    excluded: set[str], closed: set[str], kind: str
) -> None:
    organizations = {
        key: org.model_copy(update={"accepts_cases": key not in closed})
        for key, org in ORGS.items()
    }
    rules = RulesDocument(
        default="triage",
        rules=(
            Rule(id="a", organization="alpha", kinds=("reclamo",)),
            Rule(id="b", organization="beta"),
            Rule(id="c", organization="gamma"),
            Rule(id="t", organization="triage"),
        ),
    )
    decision = decide(facts(kind=kind), rules, 1, organizations, excluded).decision
    if decision.failed:
        assert decision.organization == "triage"
        assert all(o in excluded | closed for o in ("beta", "gamma", "triage"))
    else:
        assert decision.organization not in excluded | closed


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Point", "coordinates": [10, 43]},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
        {"type": "Polygon", "coordinates": "nonsense"},
    ],
)
def test_an_area_must_be_a_valid_polygon(geometry: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as error:
        Areas.model_validate({"features": [{"type": "Feature", "id": "bad", "geometry": geometry}]})
    assert error.value.errors()[0]["loc"] == ("features", 0, "geometry")


def test_a_reopened_case_goes_back_to_the_last_organization_unless_it_closed() -> None:
    by_rules = decide(facts(), RulesDocument(default="triage"), 5, ORGS).decision
    back = back_to_last(ORGS["alpha"], 5, by_rules)
    assert (back.organization, back.rule_id, back.rule_version) == ("alpha", "reopen", 5)
    closed = ORGS["alpha"].model_copy(update={"accepts_cases": False})
    rerouted = back_to_last(closed, 5, by_rules)
    assert rerouted.organization == "triage" and rerouted.failed
    assert rerouted.reasons[0] == "case reopened; who handled it last no longer takes cases"
