"""Whether a rule set can be published: errors refuse it, warnings are reported with it."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field

from sportello_shared.tenants import Organization

from .rules import RESERVED_RULE_IDS, RulesDocument


@dataclass(frozen=True)
class Problem:
    field: str
    message: str


@dataclass(frozen=True)
class Report:
    errors: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.errors


class InvalidRules(ValueError):
    """A rule set refused, with each problem naming the field it is about."""

    def __init__(self, report: Report) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in report.errors))
        self.report = report


def validate(
    document: RulesDocument,
    organizations: Mapping[str, Organization],
    categories: Collection[str],
) -> Report:
    errors = [
        *_default(document, organizations),
        *_references(document, organizations, categories),
        *_overlapping_areas(document),
    ]
    warnings = [*_idle_organizations(document, organizations), *_uncovered(document, categories)]
    unreachable, fallbacks = _shadowed(document)
    return Report(tuple(errors + unreachable), tuple(warnings + fallbacks))


def _default(
    document: RulesDocument, organizations: Mapping[str, Organization]
) -> Iterator[Problem]:
    triage = organizations.get(document.default)
    if triage is None:
        yield Problem("default", f"unknown organization {document.default!r}")
    elif not triage.accepts_cases:
        yield Problem("default", f"{document.default} does not accept cases: it cannot triage")


def _references(
    document: RulesDocument,
    organizations: Mapping[str, Organization],
    categories: Collection[str],
) -> Iterator[Problem]:
    seen: set[str] = set()
    for i, rule in enumerate(document.rules):
        where = f"rules.{i}"
        if rule.id in RESERVED_RULE_IDS:
            yield Problem(
                f"{where}.id", f"{rule.id!r} is reserved for decisions made without rules"
            )
        if rule.id in seen:
            yield Problem(f"{where}.id", f"rule id {rule.id!r} is used twice")
        seen.add(rule.id)
        if rule.organization not in organizations:
            yield Problem(f"{where}.organization", f"unknown organization {rule.organization!r}")
        for category in rule.categories:
            if category not in categories:
                yield Problem(f"{where}.categories", f"unknown category {category!r}")
        for area in rule.areas:
            if document.areas.get(area) is None:
                yield Problem(f"{where}.areas", f"unknown area {area!r}")


def _overlapping_areas(document: RulesDocument) -> Iterator[Problem]:
    features = document.areas.features
    seen: set[str] = set()
    for i, feature in enumerate(features):
        if feature.id in seen:
            yield Problem(f"areas.features.{i}.id", f"area id {feature.id!r} is used twice")
        seen.add(feature.id)
    for i, j in document.areas.overlapping_pairs():
        yield Problem(
            f"areas.features.{j}",
            f"area {features[j].id!r} overlaps area {features[i].id!r}",
        )


def _shadowed(document: RulesDocument) -> tuple[list[Problem], list[Problem]]:
    """A rule covered by an earlier one for the same organization can never decide anything.

    Covered by an earlier rule for another organization, it still decides when that
    organization declines the case: a fallback, reported but allowed.
    """
    unreachable: list[Problem] = []
    fallbacks: list[Problem] = []
    rules = document.rules
    for j, later in enumerate(rules):
        covering = [earlier for earlier in rules[:j] if earlier.covers(later)]
        same = next((e for e in covering if e.organization == later.organization), None)
        if same is not None:
            message = (
                f"unreachable: every case it matches goes to {same.organization} by {same.id!r}"
            )
            unreachable.append(Problem(f"rules.{j}", message))
        elif covering:
            firsts = ", ".join(repr(e.id) for e in covering)
            message = f"reached only as a fallback, when the organization of {firsts} declines"
            fallbacks.append(Problem(f"rules.{j}", message))
    return unreachable, fallbacks


def _idle_organizations(
    document: RulesDocument, organizations: Mapping[str, Organization]
) -> Iterator[Problem]:
    for i, rule in enumerate(document.rules):
        organization = organizations.get(rule.organization)
        if organization is not None and not organization.accepts_cases:
            message = f"{rule.organization} does not accept cases now: the rule is passed over"
            yield Problem(f"rules.{i}.organization", message)


def _uncovered(document: RulesDocument, categories: Collection[str]) -> Iterator[Problem]:
    """Catalogue categories that some cases of will fall through to triage."""
    for category in sorted(categories):
        if not any(
            rule.is_unconditional_for_category
            and (not rule.categories or category in rule.categories)
            for rule in document.rules
        ):
            yield Problem("rules", f"some cases of category {category!r} go to triage")
