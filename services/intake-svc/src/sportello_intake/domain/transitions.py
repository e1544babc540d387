"""The lifecycle as data: each command, the event it records, where it may start, who may.

The one place a step is defined: the Case runs every command through `Case.perform`, the
application through `IntakeApplication.execute`, the API makes one route per entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import acts as a
from . import corrections as c
from . import events as e
from . import triage as tf
from .status import IN_HANDS_OF_OFFICE, OPEN, Status

if TYPE_CHECKING:
    from .case import Case

# the roles of `sportello_shared.auth.Role`, by value (the domain imports no web framework)
OPERATOR, OFFICE, PARTNER, ADMIN = "operator", "office", "partner", "admin"
ANYONE_ACTING = frozenset({OPERATOR, OFFICE, PARTNER, ADMIN})  # on a case their token reaches
CONTACT_CENTRE = frozenset({OPERATOR, ADMIN})  # the URP, the triage, the call-takers
# where a case stands once registered and routed, until resolved: what may be set aside
AFTER_REGISTRATION = OPEN - {Status.RECEIVED, Status.RESOLVED}


@dataclass(frozen=True)
class Transition:
    command: str  # the Case's method, e.g. `take_in_charge`
    step: str  # the route, `POST /cases/{id}/<step>`
    action: str  # as a refusal names it ("cannot take in charge a case that is …")
    event: type[e.LifecycleEvent]
    allowed: frozenset[Status]
    fields: tuple[str, ...] = ()  # what the command carries, in its positional order
    roles: frozenset[str] = ANYONE_ACTING
    backdated: bool = True  # may say when it happened (`occurred_at`), earlier than now
    route: bool = True  # False: done at registration only (`POST /cases`), no route of its own
    summary: str = ""

    def may(self, roles: frozenset[str] | set[str]) -> bool:
        return bool(self.roles & set(roles))


TRANSITIONS: dict[str, Transition] = {
    t.command: t
    for t in (
        Transition(
            "reject",
            "reject",
            "reject",
            e.Rejected,
            frozenset({Status.RECEIVED}),
            ("reason",),
            CONTACT_CENTRE,
            backdated=False,
            summary="Refuse a case at the door (emergency, out of scope): only as registered",
        ),
        Transition(
            "take_in_charge",
            "take-in-charge",
            "take in charge",
            e.TakenInCharge,
            frozenset({Status.ASSIGNED, Status.ROUTING_FAILED, Status.REOPENED}),
            summary="The office takes the case in charge (the operator is the token's)",
        ),
        Transition(
            "contact_citizen",
            "contact",
            "record a contact on",
            e.CitizenContacted,
            IN_HANDS_OF_OFFICE,
            ("means", "note"),
            summary="Record a contact with the citizen",
        ),
        Transition(
            "wait_for_citizen",
            "wait-for-citizen",
            "wait for the citizen on",
            e.WaitingForCitizen,
            IN_HANDS_OF_OFFICE,
            ("request",),
            summary="Ask the citizen for something: the clocks that say so pause",
        ),
        Transition(
            "resume",
            "resume",
            "resume",
            e.Resumed,
            frozenset({Status.WAITING_FOR_CITIZEN}),
            summary="The citizen answered: back to where the case was before the wait",
        ),
        Transition(
            "resolve",
            "resolve",
            "resolve",
            e.Resolved,
            IN_HANDS_OF_OFFICE,
            ("outcome",),
            summary="The office solved it; the outcome is what the citizen will read",
        ),
        Transition(
            "close",
            "close",
            "close",
            e.Closed,
            IN_HANDS_OF_OFFICE | {Status.RESOLVED},
            ("outcome",),
            summary="Close the case with the answer to the citizen",
        ),
        Transition(
            "reopen",
            "reopen",
            "reopen",
            e.Reopened,
            frozenset({Status.RESOLVED, Status.CLOSED}),
            ("reason",),
            summary="Reopen a resolved or closed case",
        ),
        Transition(
            "request_reassignment",
            "request-reassignment",
            "ask to reassign",
            e.ReassignmentRequested,
            frozenset({Status.ASSIGNED, Status.ROUTING_FAILED}) | IN_HANDS_OF_OFFICE,
            ("reason",),
            summary="Not this office's: routing decides again",
        ),
        Transition(
            "dismiss",
            "dismiss",
            "dismiss",
            e.Rejected,
            AFTER_REGISTRATION,
            ("reason", "duplicate_of"),
            CONTACT_CENTRE,
            backdated=False,
            summary="Set a registered case aside: out of scope, or a duplicate of another "
            "(`duplicate_of`, the original's reference, linked on both files)",
        ),
        Transition(
            "merge",
            "merge",
            "merge into another case",
            c.Merged,
            AFTER_REGISTRATION,
            ("reason", "duplicate_of"),
            CONTACT_CENTRE,
            backdated=False,
            summary="Merge this duplicate into the original (`duplicate_of`): both citizens "
            "are told",
        ),
        Transition(
            "note",
            "note",
            "add a staff note to",
            c.Noted,
            frozenset(Status),
            ("note",),
            backdated=False,
            summary="A note for the staff only: never sent to the citizen nor shown to them",
        ),
        Transition(
            "update_citizen",
            "update-citizen",
            "send an update to the citizen on",
            c.CitizenUpdated,
            OPEN,
            ("message",),
            backdated=False,
            summary="A free-text update to the citizen: sent by notify, on their status page",
        ),
        Transition(
            "transfer",
            "transfer",
            "record a transfer of",
            a.Transferred,
            OPEN,
            ("to",),
            CONTACT_CENTRE,
            summary="The call was transferred (`to`: the office or person who took it)",
        ),
        Transition(
            "consult",
            "consult",
            "record a consultation on",
            a.Consulted,
            OPEN,
            ("question", "answer"),
            CONTACT_CENTRE,
            summary="The operator consulted an office: the question and the answer it gave",
        ),
        Transition(
            "schedule_callback",
            "schedule-callback",
            "promise a callback on",
            a.CallbackScheduled,
            OPEN,
            ("note",),
            CONTACT_CENTRE,
            summary="The citizen will be called back (note taken, office asked)",
        ),
        Transition(
            "callback_done",
            "callback-done",
            "record the callback of",
            a.CallbackDone,
            OPEN,
            ("means", "note"),
            summary="The citizen was called back (or written to): stops the callback clocks",
        ),
        Transition(
            "answer_on_the_spot",
            "answer",
            "answer on the spot",
            a.AnsweredOnTheSpot,
            frozenset({Status.RECEIVED}),
            ("outcome",),
            CONTACT_CENTRE,
            backdated=False,
            route=False,
            summary="An information call answered while the citizen was on the line",
        ),
        # --- the triage-first workflow (issue 18, point 2): forward, the office's answer ---
        Transition(
            "forward",
            "forward",
            "forward",
            tf.Forwarded,
            IN_HANDS_OF_OFFICE | {Status.FORWARDED},
            ("to",),
            CONTACT_CENTRE,
            summary="The front office hands the case to the competent office: `to`, the one "
            "it chose, or none for the one routing's rules choose",
        ),
        Transition(
            "record_office_answer",
            "office-answer",
            "record the office's answer on",
            tf.OfficeAnswered,
            frozenset({Status.FORWARDED}),
            ("answer",),
            summary="The competent office answers the front office (staff only): the case is "
            "back with the front office, to tell the citizen the outcome",
        ),
    )
}

# Casale's procedures (issue 18 point 6): their rows live in `procedure_rows.py`
from .procedure_rows import PROCEDURE_ROWS  # noqa: E402 (they use `Transition`, above)

TRANSITIONS.update({t.command: t for t in PROCEDURE_ROWS})

# Each step (as refusals name it) and the statuses it may start from, in the order a refusal
# lists the possible ones; erasure is not a lifecycle step but is refused the same way.
# Annotations (a row whose event leaves the status as it is) are not steps: not listed.
ALLOWED: dict[str, frozenset[Status]] = {
    **{t.action: t.allowed for t in TRANSITIONS.values() if t.event.status is not None and t.route},
    "erase the personal data of": frozenset(Status) - OPEN,
}


def possible_from(status: Status) -> list[str]:
    """The steps (as refusals name them) a case in `status` allows."""
    return [action for action, allowed in ALLOWED.items() if status in allowed]


class Command:
    """A Case method made from its row of the transition table, with the positional shape
    the Case's callers have always used: the command's fields, then actor, `occurred_at`
    (unless the step cannot be backdated), now and the trace context."""

    def __init__(self, name: str) -> None:
        self.transition = TRANSITIONS[name]

    def __get__(self, case: Case | None, owner: type) -> Callable[..., None]:
        t = self.transition

        def run(*args: Any) -> None:
            assert case is not None
            fields, rest = args[: len(t.fields)], args[len(t.fields) :]
            if not t.backdated:
                rest = (rest[0], rest[1], *rest[1:])  # occurred now
            actor, occurred_at, now, traceparent = rest
            case.perform(
                t, actor, occurred_at, now, traceparent, **dict(zip(t.fields, fields, strict=True))
            )

        return run


class FrontOffice:
    """Mixed into `Case`: the triage-first commands; `front_office` gets the answer back."""

    forward = Command("forward")
    record_office_answer = Command("record_office_answer")
    front_office: str | None = None
