"""The case's timeline as staff read it: each office by its name, never its code.

intake's timeline keeps the organizations' codes (`pm-reparto-6`); their names come from
routing's directory, as routing gave them with each assignment (the routing history, the case's
current office), else from the tenants' configuration, else the code as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

# the entries' fields that name an organization: who it was assigned to, who it was forwarded
# or handed to (a transfer's `to` may be a person or a desk: then it stays as written)
ORGANIZATION_FIELDS = ("organization", "to")
# routing's reasons that start with an organization's code (routing's domain/triage_first.py,
# decide.py): "pm-reparto-6 answered: back to …", "sepi declined the case"
CODE_IN_REASON = re.compile(r"^(?P<code>[a-z0-9][a-z0-9-]*)(?= answered: back to | declined the)")


def organization_namer(
    case: Mapping[str, Any],
    assignment: Mapping[str, Any] | None,
    by_configuration: Callable[[str, str], str],
) -> Callable[[str], str]:
    """A code's display name: routing's directory first, then the tenant's configuration."""
    known: dict[str, str] = {}
    for step in (assignment or {}).get("history") or ():
        if step.get("organization") and step.get("organization_name"):
            known[step["organization"]] = step["organization_name"]
    if case.get("organization") and case.get("organization_name"):
        known[case["organization"]] = case["organization_name"]
    tenant = str(case["tenant"])

    def name(code: str) -> str:
        return known.get(code) or by_configuration(tenant, code) or code

    return name


def named_timeline(
    case: Mapping[str, Any],
    assignment: Mapping[str, Any] | None,
    by_configuration: Callable[[str, str], str],
) -> list[dict[str, Any]]:
    """The timeline's entries with `<field>_name` beside each organization field they carry."""
    name = organization_namer(case, assignment, by_configuration)
    entries: list[dict[str, Any]] = []
    for entry in case.get("timeline") or ():
        named = dict(entry)
        for field in ORGANIZATION_FIELDS:
            if entry.get(field):
                named[f"{field}_name"] = name(str(entry[field]))
        entries.append(named)
    return entries


def named_assignment(
    case: Mapping[str, Any],
    assignment: Mapping[str, Any] | None,
    by_configuration: Callable[[str, str], str],
) -> dict[str, Any] | None:
    """Routing's history of the case with the organizations its reasons name by their codes
    named as the timeline names them (the rest of each reason as routing gave it)."""
    if assignment is None:
        return None
    name = organization_namer(case, assignment, by_configuration)

    def reason(text: str) -> str:
        return CODE_IN_REASON.sub(lambda found: name(found["code"]), text, count=1)

    history = [
        {**step, "reasons": [reason(str(r)) for r in step.get("reasons") or ()]}
        for step in assignment.get("history") or ()
    ]
    return {**assignment, "history": history}
