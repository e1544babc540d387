"""The Case aggregate: the file of record of one thing a citizen asked the city."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from sportello_shared.personal_data import ERASED_TEXT, personal_fields

from . import acts as a
from . import corrections as c
from . import events as e
from . import procedures as p
from . import triage as tf
from .citizen_side import CitizenSide
from .errors import InvalidOccurrence, TransitionNotAllowed
from .records import LOGGED, PERSONAL_FIELDS_ERASED, TEXTS, timeline_name
from .status import OPEN, ROUTABLE, Status
from .transitions import Command, FrontOffice, Transition


class Case(CitizenSide, FrontOffice, Aggregate):
    __module__ = e.STORED_MODULE  # the topic it is stored under (see events.py)

    class Registered(Aggregate.Created):
        """v2 added `data_subject`: the citizen's pseudonym, whose key seals the personal fields;
        v3 `follow_token`: the citizen's unguessable key to the case's status page;
        v4 `message_id`: the Message-ID of the citizen's e-mail/PEC that made the case (personal:
        the answers by mail name it in `In-Reply-To`); v5 `answered_on_the_spot`: closed at
        registration with the answer given on the call, not to be routed."""

        class_version = 5
        personal_data: ClassVar[dict[str, Any]] = PERSONAL_FIELDS_ERASED

        tenant: str
        reference: str
        kind: str
        channel: str
        category: str
        description: str
        citizen: dict[str, Any]
        location: dict[str, Any] | None
        handling_mode: str | None
        external_ref: dict[str, str] | None
        attachments: list[dict[str, Any]]
        received_at: datetime
        registered_at: datetime
        actor: str
        traceparent: str | None
        data_subject: str = ""  # none: sealed by nobody's key, kept under the store's cipher only
        follow_token: str = ""  # none: registered before follow links
        late_entry_reason: str | None = None  # received long before it was typed in: why
        message_id: str = ""  # none: not from a mailbox, or a message without a Message-ID
        answered_on_the_spot: bool = False

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["data_subject"] = ""  # recorded before per-citizen keys: not erasable

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["follow_token"] = ""

        @staticmethod
        def upcast_v3_v4(state: dict[str, Any]) -> None:
            state["message_id"] = ""  # not a sealed field before v4: nothing to put back

        @staticmethod
        def upcast_v4_v5(state: dict[str, Any]) -> None:
            state["answered_on_the_spot"] = False

    # the office's commands, one per row of the transition table
    reject = Command("reject")
    take_in_charge = Command("take_in_charge")
    contact_citizen = Command("contact_citizen")
    wait_for_citizen = Command("wait_for_citizen")
    resume = Command("resume")
    resolve = Command("resolve")
    close = Command("close")
    reopen = Command("reopen")
    request_reassignment = Command("request_reassignment")
    dismiss = Command("dismiss")
    merge = Command("merge")
    note = Command("note")
    update_citizen = Command("update_citizen")
    transfer = Command("transfer")
    consult = Command("consult")
    schedule_callback = Command("schedule_callback")
    callback_done = Command("callback_done")
    answer_on_the_spot = Command("answer_on_the_spot")
    # --- Casale's procedures (issue 18 point 6; domain/procedures.py) ---
    protocol = Command("protocol")
    schedule_inspection = Command("schedule_inspection")
    report_inspection = Command("report_inspection")
    issue_attestation = Command("issue_attestation")

    @event(Registered)
    def __init__(
        self,
        tenant: str,
        reference: str,
        kind: str,
        channel: str,
        category: str,
        description: str,
        citizen: dict[str, Any],
        location: dict[str, Any] | None,
        handling_mode: str | None,
        external_ref: dict[str, str] | None,
        attachments: list[dict[str, Any]],
        received_at: datetime,
        registered_at: datetime,
        actor: str,
        traceparent: str | None,
        data_subject: str = "",
        follow_token: str = "",
        late_entry_reason: str | None = None,
        message_id: str = "",
        answered_on_the_spot: bool = False,
    ) -> None:
        self.tenant, self.reference, self.kind = tenant, reference, kind
        self.channel, self.category, self.description = channel, category, description
        self.citizen, self.location, self.handling_mode = citizen, location, handling_mode
        self.external_ref, self.attachments = external_ref, attachments
        self.received_at, self.registered_at = received_at, registered_at
        self.status = Status.RECEIVED
        self.status_before_wait: Status | None = None
        self.organization: str | None = None
        self.organization_name: str | None = None
        self.outcome: str | None = None
        self.deadlines: dict[str, datetime] = {}
        self.last_occurred_at = received_at
        self.timeline: list[dict[str, Any]] = []
        self.data_subject = data_subject
        self.follow_token = follow_token
        self.personal_data_erased_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.reopen_requested: str | None = None  # the citizen's reason, until the URP decides
        self.late_entry_reason = late_entry_reason
        self.message_id = message_id
        self.messages_taken: list[str] = []  # later messages of the citizen's on the file
        late = {"late_entry_reason": late_entry_reason} if late_entry_reason else {}
        self._log("received", received_at, actor, channel=channel, **late)

    @classmethod
    def register(cls, *, case_id: UUID, **fields: Any) -> Case:
        return cls._create(Case.Registered, id=case_id, **fields)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def updated_at(self) -> datetime:
        return self.last_occurred_at

    # --- facts recorded from other services ---------------------------------------------------

    def record_assignment(
        self,
        organization: str,
        organization_name: str,
        occurred_at: datetime,
        traceparent: str | None,
    ) -> None:
        self.trigger_event(
            e.AssignmentRecorded,
            organization=organization,
            organization_name=organization_name,
            occurred_at=occurred_at,
            traceparent=traceparent,
            tenant=self.tenant,
            reference=self.reference,
            dossier=self.dossier(),
            data_subject=self.data_subject,
        )

    def dossier(self) -> dict[str, Any]:
        """What an organization handling the case needs, contact included."""
        fields = ("kind", "channel", "category", "description", "citizen", "location")
        return {
            **{name: getattr(self, name) for name in fields},
            "handling_mode": self.handling_mode,
            "received_at": self.received_at.isoformat(),
            "attachments": self.attachments,
        }

    @event("RoutingFailureRecorded")
    def record_routing_failure(
        self,
        triage_organization: str,
        reason: str,
        occurred_at: datetime,
        traceparent: str | None,
    ) -> None:
        self.organization = triage_organization
        # a forwarded case no office takes goes back to the front office's queue (triage-first)
        if self.status in ROUTABLE or self.status is Status.FORWARDED:
            self.status = Status.ROUTING_FAILED
        self._log("routing_failed", occurred_at, "routing-svc", reason=reason)

    @event("DeadlineRecorded")
    def record_deadline(self, standard: str, deadline: datetime) -> None:
        self.deadlines[standard] = deadline

    @event("PromiseKept")
    def record_deadline_met(self, standard: str) -> None:
        """A promise kept is no longer expected: Open311's expected_datetime moves on."""
        self.deadlines.pop(standard, None)

    @property
    def expected_at(self) -> datetime | None:
        """The nearest promise still open (Open311's `expected_datetime`)."""
        return min(self.deadlines.values()) if self.deadlines and self.is_open else None

    # --- the right to be forgotten ---------------------------------------------------------------

    def erase_personal_data(self, actor: str, now: datetime, traceparent: str | None) -> None:
        """Record the erasure; refused while the case is open (the office still needs the
        contact), and nothing new when it was recorded already."""
        if self.is_open:
            raise TransitionNotAllowed("erase the personal data of", self.status)
        if self.personal_data_erased_at is not None:
            return
        self.trigger_event(e.PersonalDataErased, **self._stamp(actor, now, traceparent))

    def forget_personal_data(self, at: datetime) -> None:
        for name, erased in PERSONAL_FIELDS_ERASED.items():
            setattr(self, name, erased)
        if self.outcome:
            self.outcome = ERASED_TEXT
        for entry in self.timeline:  # what was read before the key went (a cached aggregate)
            entry.update({k: ERASED_TEXT for k in TEXTS if entry.get(k)})
        self.personal_data_erased_at = at

    # --- the one path of every lifecycle command ----------------------------------------------

    def perform(
        self,
        transition: Transition,
        actor: str,
        occurred_at: datetime,
        now: datetime,
        traceparent: str | None,
        **details: Any,
    ) -> None:
        """Check the step against the table and the case's time line, then record its event."""
        if self.status not in transition.allowed:
            raise TransitionNotAllowed(transition.action, self.status)
        if occurred_at > now:
            raise InvalidOccurrence("occurred_at is in the future")
        if occurred_at < self.last_occurred_at:
            raise InvalidOccurrence("occurred_at is before the case's previous event")
        sealed = {"data_subject": self.data_subject} if personal_fields(transition.event) else {}
        stamp = self._stamp(actor, occurred_at, traceparent)
        self.trigger_event(transition.event, **stamp, **details, **sealed)

    def enter(self, step: e.LifecycleEvent) -> None:
        """How a lifecycle event changes the case."""
        if isinstance(step, e.WaitingForCitizen):
            self.status_before_wait = self.status
        if isinstance(step, e.Resumed):
            self.status = self.status_before_wait or Status.TAKEN_IN_CHARGE
        elif step.status is not None:
            self.status = step.status
        if isinstance(step, e.Resolved | e.Closed):
            self.outcome = step.outcome
        if isinstance(step, e.Closed):
            self.closed_at = step.occurred_at
        if isinstance(step, e.Reopened):
            self.outcome = None
            self.reopen_requested = None
        details = {k: getattr(step, k) for k in LOGGED if getattr(step, k, None) is not None}
        self._log(timeline_name(step), step.occurred_at, step.actor, **details)

    def _stamp(self, actor: str, now: datetime, traceparent: str | None) -> dict[str, Any]:
        """What every event of the case's own carries: whose, who, when."""
        return {
            "tenant": self.tenant,
            "reference": self.reference,
            "organization": self.organization,
            "actor": actor,
            "occurred_at": now,
            "traceparent": traceparent,
        }

    def _log(self, what: str, occurred_at: datetime, actor: str, **details: Any) -> None:
        self.last_occurred_at = max(self.last_occurred_at, occurred_at)
        self.timeline.append(
            {"event": what, "occurred_at": occurred_at.isoformat(), "actor": actor, **details}
        )


# Each event of the domain's modules where its topic finds it (`Case.<Name>`, e.g. `Case.Closed`)
for _module in (e, c, a, p, tf):
    for _name, _event in vars(_module).items():
        if getattr(_event, "TOPIC", "") == f"{e.STORED_MODULE}:Case.{_name}":
            setattr(Case, _name, _event)
