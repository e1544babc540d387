"""Directory, RuleSet and Assignment on their own: versions, seeds, history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sportello_routing.domain import (
    Assignment,
    CaseFacts,
    Decision,
    Directory,
    Rule,
    RulesDocument,
    RuleSet,
    UnknownOrganization,
    VersionConflict,
)

from .test_rules import ORGS

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def rules(*organizations: str) -> RulesDocument:
    return RulesDocument(
        default="triage",
        rules=tuple(Rule(id=f"r-{o}", organization=o, keywords=(o,)) for o in organizations),
    )


def test_each_new_document_is_the_next_version_and_the_same_one_is_not() -> None:
    ruleset = RuleSet.first("t", rules("alpha"), "seed", "seed")
    assert ruleset.version == 1
    assert ruleset.publish(rules("alpha", "beta"), "ops", "api") is True
    assert ruleset.publish(rules("alpha", "beta"), "ops", "api") is False
    assert ruleset.version == 2
    assert ruleset.rules == rules("alpha", "beta")
    assert ruleset.has_published(rules("alpha")) and not ruleset.has_published(rules("gamma"))


def test_an_edit_based_on_an_old_version_is_refused() -> None:
    ruleset = RuleSet.first("t", rules("alpha"), "seed", "seed")
    ruleset.publish(rules("beta"), "ops", "api", based_on=1)
    with pytest.raises(VersionConflict):
        ruleset.publish(rules("gamma"), "ops", "api", based_on=1)


def test_ids_are_deterministic_per_tenant() -> None:
    assert RuleSet.create_id("pisa") == RuleSet.create_id("pisa") != RuleSet.create_id("torino")
    assert Directory.create_id("pisa") != RuleSet.create_id("pisa")


def test_the_directory_records_only_real_changes_and_each_seed_once() -> None:
    directory = Directory.seeded("t", ORGS.values(), "digest-1")
    assert directory.put(ORGS.values(), "ops") == []
    assert len(directory.collect_events()) == 1
    renamed = ORGS["alpha"].model_copy(update={"name": "Alpha Srl"})
    assert directory.put([renamed], "ops") == ["alpha"]
    directory.put([], "seed", "digest-2")
    assert directory.seed_digests == ["digest-1", "digest-2"]
    assert directory.organization("alpha").name == "Alpha Srl"
    directory.remove("gamma", "ops")
    with pytest.raises(UnknownOrganization):
        directory.organization("gamma")
    assert len(directory.collect_events()) == 3


def test_an_assignment_keeps_every_decision_and_who_declined() -> None:
    facts = CaseFacts(tenant="t", kind="reclamo", channel="phone", category="strade")
    assignment = Assignment.open("case-1", "TO-2026-000001", facts)
    assignment.record(Decision("alpha", "Alpha", "r-alpha", 3, ("why",)), T0, cause="received")
    assignment.decline("alpha", "non di nostra competenza", T0)
    failed = Decision("triage", "Triage", "default", 4, ("none left",), failed=True)
    assignment.record(failed, T0, cause="reassignment_requested")
    assert assignment.facts == facts
    assert assignment.organization == "triage"
    assert assignment.declined == ["alpha"]
    assert [(h["outcome"], h.get("rule_version")) for h in assignment.history] == [
        ("assigned", 3),
        ("declined", None),
        ("routing_failed", 4),
    ]


def test_the_same_reassignment_twice_is_one_decision() -> None:
    facts = CaseFacts(tenant="t", kind="reclamo", channel="phone", category="strade")
    assignment = Assignment.open("case-1", "TO-2026-000001", facts)
    assignment.record(Decision("alpha", "Alpha", "r-alpha", 3, ("why",)), T0, cause="received")
    assignment.collect_events()
    to_beta = Decision("beta", "Beta", "manual", 3, ("reassigned by anna: è suo",))
    assert assignment.reassign(to_beta, T0, "anna") is True
    assert assignment.reassign(to_beta, T0, "anna") is False  # a double click
    assert len(assignment.collect_events()) == 1
    assert [h["organization"] for h in assignment.history] == ["alpha", "beta"]
    failed = Decision("triage", "Triage", "default", 4, ("none left",), failed=True)
    assignment.record(failed, T0, cause="reassignment_requested")
    to_triage = Decision("triage", "Triage", "manual", 4, ("taken by the URP",))
    assert assignment.reassign(to_triage, T0, "anna") is True  # failed before: now assigned
