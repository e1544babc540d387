"""Invalid rule sets are refused naming the field; doubtful ones are published with warnings."""

from __future__ import annotations

from typing import Any

from sportello_routing.domain import Rule, RulesDocument, validate
from sportello_shared.tenants import Organization

from .test_rules import ORGS, square

CATEGORIES = {"strade", "rifiuti"}


def document(*rules: Rule, default: str = "triage", areas: list[Any] | None = None) -> Any:
    return RulesDocument.model_validate(
        {
            "default": default,
            "areas": {"type": "FeatureCollection", "features": areas or []},
            "rules": [r.model_dump() for r in rules],
        }
    )


def errors(doc: RulesDocument, orgs: dict[str, Organization] = ORGS) -> list[tuple[str, str]]:
    return [(p.field, p.message) for p in validate(doc, orgs, CATEGORIES).errors]


def test_a_catch_all_rule_set_is_valid() -> None:
    report = validate(document(Rule(id="all", organization="alpha")), ORGS, CATEGORIES)
    assert report.ok and report.warnings == ()


def test_unknown_organizations_categories_and_areas_are_refused() -> None:
    doc = document(
        Rule(id="a", organization="nobody"),
        Rule(id="b", organization="beta", categories=("ufo",), areas=("atlantis",)),
        default="ghost",
    )
    assert errors(doc) == [
        ("default", "unknown organization 'ghost'"),
        ("rules.0.organization", "unknown organization 'nobody'"),
        ("rules.1.categories", "unknown category 'ufo'"),
        ("rules.1.areas", "unknown area 'atlantis'"),
    ]


def test_duplicate_and_reserved_rule_ids_are_refused() -> None:
    doc = document(
        Rule(id="a", organization="alpha", categories=("strade",)),
        Rule(id="a", organization="beta", categories=("rifiuti",)),
        Rule(id="manual", organization="gamma", categories=("rifiuti",), keywords=("x",)),
    )
    assert errors(doc) == [
        ("rules.1.id", "rule id 'a' is used twice"),
        ("rules.2.id", "'manual' is reserved for decisions made without rules"),
    ]


def test_overlapping_areas_are_refused_touching_ones_are_not() -> None:
    touching = document(areas=[square("north", 10, 44), square("south", 10, 43)])
    assert errors(touching) == []
    overlapping = document(areas=[square("north", 10, 44), square("centre", 10.5, 43.5)])
    assert errors(overlapping) == [
        ("areas.features.1", "area 'centre' overlaps area 'north'"),
    ]


def test_a_rule_covered_by_an_earlier_one_for_the_same_organization_is_unreachable() -> None:
    doc = document(
        Rule(id="roads", organization="alpha", categories=("strade",)),
        Rule(id="potholes", organization="alpha", categories=("strade",), keywords=("buca",)),
    )
    assert errors(doc) == [
        ("rules.1", "unreachable: every case it matches goes to alpha by 'roads'"),
    ]


def test_a_rule_covered_for_another_organization_is_a_reported_fallback() -> None:
    doc = document(
        Rule(id="roads", organization="alpha", categories=("strade",)),
        Rule(id="roads-backup", organization="beta", categories=("strade",)),
        Rule(id="waste", organization="gamma", categories=("rifiuti",)),
    )
    report = validate(doc, ORGS, CATEGORIES)
    assert report.ok
    assert [(p.field, p.message) for p in report.warnings] == [
        ("rules.1", "reached only as a fallback, when the organization of 'roads' declines"),
    ]


def test_a_narrower_later_rule_is_not_flagged() -> None:
    doc = document(
        Rule(id="potholes", organization="alpha", categories=("strade",), keywords=("buca",)),
        Rule(id="roads", organization="alpha", categories=("strade",)),
        Rule(id="rest", organization="beta"),
    )
    report = validate(doc, ORGS, CATEGORIES)
    assert report.ok and report.warnings == ()


def test_categories_that_may_fall_to_triage_and_closed_organizations_are_reported() -> None:
    closed = ORGS | {"beta": ORGS["beta"].model_copy(update={"accepts_cases": False})}
    doc = document(
        Rule(id="roads", organization="alpha", categories=("strade",)),
        Rule(id="waste", organization="beta", categories=("rifiuti",), channels=("email",)),
    )
    report = validate(doc, closed, CATEGORIES)
    assert report.ok
    assert [(p.field, p.message) for p in report.warnings] == [
        ("rules.1.organization", "beta does not accept cases now: the rule is passed over"),
        ("rules", "some cases of category 'rifiuti' go to triage"),
    ]


def test_a_triage_that_takes_no_cases_is_refused() -> None:
    closed = ORGS | {"triage": ORGS["triage"].model_copy(update={"accepts_cases": False})}
    doc = document(Rule(id="all", organization="alpha"))
    assert errors(doc, closed) == [("default", "triage does not accept cases: it cannot triage")]
