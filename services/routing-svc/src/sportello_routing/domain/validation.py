"""Whether a rule set can be published: errors refuse it, warnings are reported with it."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field

from sportello_shared.tenants import Organization

from .rules import RESERVED_RULE_IDS, RulesDocument


@dataclass(frozen=True)
class Problem:
    """`message` in English, `it` the same in Italian (the default language of answers)."""

    field: str
    message: str
    it: str = ""

    def said(self, language: str) -> str:
        return self.message if language == "en" or not self.it else self.it


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
        *_keywords_over_categories(document),
    ]
    warnings = [*_idle_organizations(document, organizations), *_uncovered(document, categories)]
    unreachable, fallbacks = _shadowed(document)
    return Report(tuple(errors + unreachable), tuple(warnings + fallbacks))


def _default(
    document: RulesDocument, organizations: Mapping[str, Organization]
) -> Iterator[Problem]:
    triage = organizations.get(document.default)
    if triage is None:
        yield Problem(
            "default",
            f"unknown organization {document.default!r}",
            f"ufficio sconosciuto: {document.default!r}",
        )
    elif not triage.accepts_cases:
        yield Problem(
            "default",
            f"{document.default} does not accept cases: it cannot triage",
            f"{document.default} non riceve pratiche: non può smistarle",
        )


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
                f"{where}.id",
                f"{rule.id!r} is reserved for decisions made without rules",
                f"{rule.id!r} è riservato alle decisioni prese senza regole",
            )
        if rule.id in seen:
            yield Problem(
                f"{where}.id",
                f"rule id {rule.id!r} is used twice",
                f"l'identificativo di regola {rule.id!r} è usato due volte",
            )
        seen.add(rule.id)
        if rule.organization not in organizations:
            yield Problem(
                f"{where}.organization",
                f"unknown organization {rule.organization!r}",
                f"ufficio sconosciuto: {rule.organization!r}",
            )
        for category in rule.categories:
            if category not in categories:
                yield Problem(
                    f"{where}.categories",
                    f"unknown category {category!r}",
                    f"categoria sconosciuta: {category!r}",
                )
        for area in rule.areas:
            if document.areas.get(area) is None:
                yield Problem(
                    f"{where}.areas", f"unknown area {area!r}", f"zona sconosciuta: {area!r}"
                )


def _overlapping_areas(document: RulesDocument) -> Iterator[Problem]:
    features = document.areas.features
    seen: set[str] = set()
    for i, feature in enumerate(features):
        if feature.id in seen:
            yield Problem(
                f"areas.features.{i}.id",
                f"area id {feature.id!r} is used twice",
                f"l'identificativo di zona {feature.id!r} è usato due volte",
            )
        seen.add(feature.id)
    for i, j in document.areas.overlapping_pairs():
        yield Problem(
            f"areas.features.{j}",
            f"area {features[j].id!r} overlaps area {features[i].id!r}",
            f"la zona {features[j].id!r} si sovrappone alla zona {features[i].id!r}",
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
            italian = (
                f"irraggiungibile: ogni pratica che individua va a {same.organization}"
                f" per la regola {same.id!r}"
            )
            unreachable.append(Problem(f"rules.{j}", message, italian))
        elif covering:
            firsts = ", ".join(repr(e.id) for e in covering)
            message = f"reached only as a fallback, when the organization of {firsts} declines"
            italian = f"si applica solo di riserva, quando l'ufficio di {firsts} rifiuta"
            fallbacks.append(Problem(f"rules.{j}", message, italian))
    return unreachable, fallbacks


def _idle_organizations(
    document: RulesDocument, organizations: Mapping[str, Organization]
) -> Iterator[Problem]:
    for i, rule in enumerate(document.rules):
        organization = organizations.get(rule.organization)
        if organization is not None and not organization.accepts_cases:
            message = f"{rule.organization} does not accept cases now: the rule is passed over"
            italian = f"{rule.organization} ora non riceve pratiche: la regola è saltata"
            yield Problem(f"rules.{i}.organization", message, italian)


def _uncovered(document: RulesDocument, categories: Collection[str]) -> Iterator[Problem]:
    """Catalogue categories that some cases of will fall through to triage."""
    for category in sorted(categories):
        if not any(
            rule.is_unconditional_for_category
            and (not rule.categories or category in rule.categories)
            for rule in document.rules
        ):
            yield Problem(
                "rules",
                f"some cases of category {category!r} go to triage",
                f"alcune pratiche della categoria {category!r} finiscono allo smistamento",
            )


def _keywords_over_categories(document: RulesDocument) -> Iterator[Problem]:
    """A word in the description must not take a case away from the category chosen for it,
    unless the rule says so on purpose."""
    for i, rule in enumerate(document.rules):
        if rule.keywords and not rule.categories and not rule.overrides_category:
            yield Problem(
                f"rules.{i}.keywords",
                "keywords without categories would override the category chosen for the case: "
                "list the categories the words refine, or set overrides_category: true",
                "parole chiave senza categorie sostituirebbero la categoria scelta per la pratica:"
                " elenchi le categorie che le parole precisano, o imposti overrides_category: true",
            )
