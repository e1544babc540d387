"""The routing decision: the first rule that matches and whose organization can take the case."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace

from sportello_shared.tenants import Organization

from .rules import CaseFacts, RulesDocument, Verdict


@dataclass(frozen=True)
class Decision:
    """Routing's answer: an organization with the rule that chose it, or a failure to triage."""

    organization: str
    organization_name: str
    rule_id: str
    rule_version: int
    reasons: tuple[str, ...]
    failed: bool = False


@dataclass(frozen=True)
class Explanation:
    """A decision and how every rule judged the case on the way to it."""

    decision: Decision
    verdicts: tuple[Verdict, ...]


def decide(
    facts: CaseFacts,
    rules: RulesDocument,
    version: int,
    organizations: Mapping[str, Organization],
    excluded: Collection[str] = (),
) -> Explanation:
    """Rules in order; a match whose organization declined or takes no cases is passed over.

    Every rule is judged, also after the winner, so an explanation shows each one that matched
    and why the first available one won (rules are tried in their order)."""
    verdicts: list[Verdict] = []
    decision: Decision | None = None
    for rule in rules.rules:
        verdict = rule.evaluate(facts, rules.areas)
        if verdict.matched:
            unavailable = _unavailable(rule.organization, organizations, excluded)
            if unavailable is not None:
                verdict = replace(verdict, matched=False, reasons=(*verdict.reasons, unavailable))
            elif decision is None:
                organization = organizations[rule.organization]
                reasons = (*verdict.reasons, f"{organization.name} is competent")
                decision = Decision(organization.id, organization.name, rule.id, version, reasons)
                verdict = replace(verdict, won=True, reasons=(*verdict.reasons, FIRST))
            else:
                later = f"matched too, but rule {decision.rule_id!r} comes first"
                verdict = replace(verdict, reasons=(*verdict.reasons, later))
        verdicts.append(verdict)
    if decision is None:
        decision = _to_triage(facts, rules, version, organizations, excluded)
    return Explanation(decision, tuple(verdicts))


FIRST = "the first matching rule whose organization can take the case: it decides"


def back_to_last(last: Organization | None, version: int, otherwise: Decision) -> Decision:
    """A reopened case goes back to who handled it last, unless they no longer take cases."""
    if last is not None and last.accepts_cases:
        reason = f"case reopened: back to {last.name}, who handled it last"
        return Decision(last.id, last.name, "reopen", version, (reason,))
    why = "case reopened; who handled it last no longer takes cases"
    return replace(otherwise, reasons=(why, *otherwise.reasons))


def _unavailable(
    organization_id: str, organizations: Mapping[str, Organization], excluded: Collection[str]
) -> str | None:
    if organization_id in excluded:
        return f"{organization_id} declined the case"
    organization = organizations.get(organization_id)
    if organization is None:
        return f"{organization_id} is not in the directory"
    if not organization.accepts_cases:
        return f"{organization.name} does not accept cases"
    return None


def _to_triage(
    facts: CaseFacts,
    rules: RulesDocument,
    version: int,
    organizations: Mapping[str, Organization],
    excluded: Collection[str],
) -> Decision:
    if excluded:
        reason = f"no competent organization left after {', '.join(sorted(excluded))} declined"
    else:
        reason = (
            f"no rule routes category {facts.category!r} "
            f"(kind {facts.kind!r}, channel {facts.channel!r})"
        )
    triage = organizations.get(rules.default)
    name = triage.name if triage is not None else rules.default
    return Decision(rules.default, name, "default", version, (reason,), failed=True)
