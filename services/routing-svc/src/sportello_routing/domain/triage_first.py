"""The triage-first workflow (issue 18, point 2): routing's decisions when the tenant's front
office (`triage`: Torino's Contact Center, Casale's and Rescaldina's URP) takes every case in
charge before the competent office does, and gets the case back with that office's answer."""

from __future__ import annotations

from dataclasses import replace

from sportello_shared.tenants import Organization

from .decide import Decision

TRIAGE_FIRST = "triage-first"
FORWARDED = "forwarded"
ANSWERED = "office-answered"


def to_front_office(front: Organization, rules_choice: Decision) -> Decision:
    """A new case goes to the front office; what the rules would choose is said with it. A
    case no rule routes fails to triage as in a direct tenant (the URP is alerted, the citizen
    told it is being looked at; the triage classifies it, and it comes back here)."""
    if rules_choice.failed:
        return rules_choice
    first = f"workflow triage-first: {front.name} takes every case in charge first"
    then = (
        f"then the rules would choose {rules_choice.organization_name} "
        f"(rule {rules_choice.rule_id!r})"
    )
    return Decision(front.id, front.name, TRIAGE_FIRST, rules_choice.rule_version, (first, then))


def forwarded(
    to: str | None,
    chosen: Organization | None,
    front: Organization | None,
    front_office: str,
    by_rules: Decision,
    category: str = "",
) -> Decision:
    """The front office forwards the case: to the office it chose, if it takes cases; otherwise
    to the one the rules choose (the front office itself excluded). When they choose none, the
    case fails to route back to the front office, saying why and what it can do."""
    if chosen is not None and chosen.accepts_cases and chosen.id != front_office:
        reason = f"forwarded by the front office to {chosen.name}, its choice"
        return Decision(chosen.id, chosen.name, FORWARDED, by_rules.rule_version, (reason,))
    why = (
        f"forwarded to {to!r}, not an organization taking cases: the rules decide"
        if to
        else "forwarded by the front office to the office the rules choose"
    )
    if not by_rules.failed:
        return replace(by_rules, reasons=(why, *by_rules.reasons))
    name = front.name if front is not None else front_office
    back = (
        f"{UNPLACED} (category {category!r}, {name} itself excluded): back to {name}, "
        "to forward it to an office of its choice (`to`) or to answer the citizen itself"
    )
    reasons = (why, back)
    return Decision(front_office, name, FORWARDED, by_rules.rule_version, reasons, failed=True)


# how a forwarded case no rule places is told (routing_failed's reason; the console reads it)
UNPLACED = "no rule places the forwarded case with a competent office"


def back_to_front_office(office: str, front: Organization, version: int) -> Decision:
    """The competent office answered: the front office tells the citizen the outcome."""
    reason = f"{office} answered: back to {front.name} to tell the citizen the outcome"
    return Decision(front.id, front.name, ANSWERED, version, (reason,))
