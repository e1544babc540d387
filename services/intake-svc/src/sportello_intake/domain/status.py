"""Where a case stands, and the groups of statuses the transition table speaks of."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    RECEIVED = "received"
    ASSIGNED = "assigned"
    ROUTING_FAILED = "routing_failed"
    TAKEN_IN_CHARGE = "taken_in_charge"
    CITIZEN_CONTACTED = "citizen_contacted"
    WAITING_FOR_CITIZEN = "waiting_for_citizen"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"
    REASSIGNMENT_REQUESTED = "reassignment_requested"
    REJECTED = "rejected"
    # --- the triage-first workflow (issue 18, point 2) ---
    FORWARDED = "forwarded"  # the front office handed it to the competent office
    OFFICE_ANSWERED = "office_answered"  # the office answered: back with the front office


# Where routing's decision may land: a decision arriving later never undoes office work.
ROUTABLE = frozenset(
    {
        Status.RECEIVED,
        Status.REASSIGNMENT_REQUESTED,
        Status.REOPENED,
        Status.ASSIGNED,
        Status.ROUTING_FAILED,
    }
)
# (office_answered: the front office has the competent office's answer, to tell the citizen)
IN_HANDS_OF_OFFICE = frozenset(
    {Status.TAKEN_IN_CHARGE, Status.CITIZEN_CONTACTED, Status.OFFICE_ANSWERED}
)
OPEN = frozenset(Status) - {Status.CLOSED, Status.REJECTED}
# What came by itself (a mailbox) and waits for the triage to say what it is about; no rule
# routes it, so it lands with the tenant's triage (routing's default).
UNCLASSIFIED = "da_classificare"
# Where the triage may classify it: before routing decided, with the triage, or in its hands
# (the call-taker who called back); not while waiting for the citizen, nor once resolved, nor
# once forwarded (triage-first: it was classified before).
CLASSIFIABLE = frozenset({Status.RECEIVED, Status.ASSIGNED, Status.ROUTING_FAILED}) | (
    IN_HANDS_OF_OFFICE - {Status.OFFICE_ANSWERED}
)
