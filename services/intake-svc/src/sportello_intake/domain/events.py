"""The Case's events that are not generated from its methods.

Each keeps the topic it has been stored under since it was a class nested in `Case` in the
single-module `sportello_intake.domain` (`TOPIC`): stored events and replicas not yet upgraded
read the same names. `Case` carries each as an attribute (`Case.Closed`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from eventsourcing.domain import Aggregate
from sportello_shared.personal_data import ERASED_TEXT

from .status import IN_HANDS_OF_OFFICE, ROUTABLE, Status

if TYPE_CHECKING:
    from .case import Case

STORED_MODULE = "sportello_intake.domain"


def _case(aggregate: Aggregate) -> Case:
    from .case import Case

    assert isinstance(aggregate, Case)
    return aggregate


class LifecycleEvent(Aggregate.Event):
    """A step of the case's life, carrying who/where so it can be published on its own.

    The office's words (`note`, `request`, `outcome`, `reason`) may name the citizen: they
    are sealed under the citizen's key (`data_subject`) and erased with it. `status`: where
    the case goes (None: where it stands, e.g. a note)."""

    TOPIC = f"{STORED_MODULE}:Case.LifecycleEvent"

    tenant: str
    reference: str
    organization: str | None
    actor: str
    occurred_at: datetime
    traceparent: str | None
    status: ClassVar[Status | None]

    def apply(self, aggregate: Aggregate) -> None:
        _case(aggregate).enter(self)


class Rejected(LifecycleEvent):
    """v1 at the door; `duplicate_of` (the original's reference) when rejected as a duplicate
    after registration (absent before, read as None)."""

    TOPIC = f"{STORED_MODULE}:Case.Rejected"
    status = Status.REJECTED
    personal_data: ClassVar[dict[str, Any]] = {"reason": ERASED_TEXT}
    reason: str
    data_subject: str = ""  # the citizen's pseudonym; none: kept under the store key only
    duplicate_of: str | None = None


class TakenInCharge(LifecycleEvent):
    TOPIC = f"{STORED_MODULE}:Case.TakenInCharge"
    status = Status.TAKEN_IN_CHARGE


class CitizenContacted(LifecycleEvent):
    TOPIC = f"{STORED_MODULE}:Case.CitizenContacted"
    status = Status.CITIZEN_CONTACTED
    personal_data: ClassVar[dict[str, Any]] = {"note": ERASED_TEXT}
    means: str
    note: str
    data_subject: str = ""  # the citizen's pseudonym; none: kept under the store key only


class WaitingForCitizen(LifecycleEvent):
    TOPIC = f"{STORED_MODULE}:Case.WaitingForCitizen"
    status = Status.WAITING_FOR_CITIZEN
    personal_data: ClassVar[dict[str, Any]] = {"request": ERASED_TEXT}
    request: str
    data_subject: str = ""  # the citizen's pseudonym; none: kept under the store key only


class Resumed(LifecycleEvent):
    TOPIC = f"{STORED_MODULE}:Case.Resumed"
    status = Status.TAKEN_IN_CHARGE  # replaced by the status before the wait


class Resolved(LifecycleEvent):
    TOPIC = f"{STORED_MODULE}:Case.Resolved"
    status = Status.RESOLVED
    personal_data: ClassVar[dict[str, Any]] = {"outcome": ERASED_TEXT}
    outcome: str
    data_subject: str = ""  # the citizen's pseudonym; none: kept under the store key only


class Closed(LifecycleEvent):
    TOPIC = f"{STORED_MODULE}:Case.Closed"
    status = Status.CLOSED
    personal_data: ClassVar[dict[str, Any]] = {"outcome": ERASED_TEXT}
    outcome: str
    data_subject: str = ""  # the citizen's pseudonym; none: kept under the store key only


class Reopened(LifecycleEvent):
    TOPIC = f"{STORED_MODULE}:Case.Reopened"
    status = Status.REOPENED
    personal_data: ClassVar[dict[str, Any]] = {"reason": ERASED_TEXT}
    reason: str
    data_subject: str = ""  # the citizen's pseudonym; none: kept under the store key only


class ReassignmentRequested(LifecycleEvent):
    TOPIC = f"{STORED_MODULE}:Case.ReassignmentRequested"
    status = Status.REASSIGNMENT_REQUESTED
    personal_data: ClassVar[dict[str, Any]] = {"reason": ERASED_TEXT}
    reason: str
    data_subject: str = ""  # the citizen's pseudonym; none: kept under the store key only


class AssignmentRecorded(Aggregate.Event):
    """Routing's decision on the file, with what the new organization needs to act on it.

    v2 added tenant, reference and the dossier (published only to that organization);
    v3 the citizen's pseudonym, whose key seals the dossier.
    """

    TOPIC = f"{STORED_MODULE}:Case.AssignmentRecorded"
    class_version = 3
    personal_data: ClassVar[dict[str, Any]] = {"dossier": {}}

    organization: str
    organization_name: str
    occurred_at: datetime
    traceparent: str | None
    tenant: str
    reference: str
    dossier: dict[str, Any]
    data_subject: str

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state.update(tenant="", reference="", dossier={})

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        state["data_subject"] = ""

    def apply(self, aggregate: Aggregate) -> None:
        case = _case(aggregate)
        case.organization = self.organization
        case.organization_name = self.organization_name
        if case.status in ROUTABLE:
            case.status = Status.ASSIGNED
        case._log("assigned", self.occurred_at, "routing-svc", organization=self.organization)


class CaseFact(Aggregate.Event):
    """What every event of the case's own (not a lifecycle step) carries: whose, who, when."""

    TOPIC = f"{STORED_MODULE}:Case.CaseFact"

    tenant: str
    reference: str
    organization: str | None
    actor: str
    occurred_at: datetime
    traceparent: str | None


class PersonalDataErased(CaseFact):
    """The citizen's key was deleted: the file keeps its facts, not who asked or what."""

    TOPIC = f"{STORED_MODULE}:Case.PersonalDataErased"

    def apply(self, aggregate: Aggregate) -> None:
        case = _case(aggregate)
        case.forget_personal_data(self.occurred_at)
        case._log("personal_data_erased", self.occurred_at, self.actor)


class ReopenRequested(CaseFact):
    """The citizen asks to reopen a closed case; it stays closed until the URP reopens it."""

    TOPIC = f"{STORED_MODULE}:Case.ReopenRequested"
    personal_data: ClassVar[dict[str, Any]] = {"reason": ERASED_TEXT}
    reason: str
    data_subject: str  # whose key seals the reason (the citizen's own words)

    def apply(self, aggregate: Aggregate) -> None:
        case = _case(aggregate)
        case.reopen_requested = self.reason
        case._log("reopen_requested", self.occurred_at, self.actor, reason=self.reason)


class CitizenWrote(CaseFact):
    """A later message of the citizen's, kept on the file (not a new case); `message_key`
    (the mail's Message-ID) makes a message delivered twice one entry."""

    TOPIC = f"{STORED_MODULE}:Case.CitizenWrote"
    personal_data: ClassVar[dict[str, Any]] = {"text": ERASED_TEXT, "attachments": []}
    channel: str
    message_key: str
    text: str
    attachments: list[dict[str, Any]]
    data_subject: str

    def apply(self, aggregate: Aggregate) -> None:
        case = _case(aggregate)
        case.messages_taken.append(self.message_key)
        case.attachments = [*case.attachments, *self.attachments]
        names = [a.get("name", "") for a in self.attachments]
        case._log(
            "citizen_wrote",
            self.occurred_at,
            self.actor,
            channel=self.channel,
            text=self.text,
            **({"attachments": names} if names else {}),
        )


class Classified(CaseFact):
    """Kind and category set by the triage; `citizen`, the identity the call-taker completed
    (None: as it was), sealed under the citizen's key. The case goes back to routing: from
    an office's hands too (the new office takes it in charge)."""

    TOPIC = f"{STORED_MODULE}:Case.Classified"
    personal_data: ClassVar[dict[str, Any]] = {"citizen": None}
    kind: str
    category: str
    previous_category: str
    citizen: dict[str, Any] | None
    data_subject: str

    def apply(self, aggregate: Aggregate) -> None:
        case = _case(aggregate)
        case.kind = self.kind
        case.category = self.category
        if self.citizen:
            case.citizen = self.citizen
        if case.status in IN_HANDS_OF_OFFICE:
            case.status = Status.RECEIVED
        completed = {"identity_completed": True} if self.citizen else {}
        case._log(
            "classified",
            self.occurred_at,
            self.actor,
            kind=self.kind,
            category=self.category,
            **completed,
        )
