"""The anomaly register: what went wrong in delivering the Carta's services, why, and what is done.

Casale's Carta: the yearly report "riporti le eventuali anomalie riscontrate nell'erogazione dei
servizi e le azioni correttive intraprese". Every breached clock is an anomaly by default (its id
is derived from the clock's run, so it exists before anyone writes about it); the URP or the
office records its cause and the corrective actions taken or planned. Anomalies that are not
breaches (a service interruption, a phone line down for a day) are recorded on their own.

Pure: no I/O, no reading of the system clock. Texts recorded here end up in a public report, so
they may not carry personal data (see `check_public_text`).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate, event
from sportello_shared.worded import Worded

ANOMALY_NAMESPACE = UUID("3c8e2f71-5a94-4d0b-9e63-b17d24a8f5c0")
MAX_TEXT = 1000


class AnomalyKind(StrEnum):
    BREACH = "breach"  # a standard's term was not met
    INTERRUPTION = "interruption"  # a service or a channel was unavailable (a phone line down)
    OTHER = "other"


class ActionStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class InvalidAnomaly(Worded):
    """A command the register refuses as it is (422), said in both languages."""


class PersonalDataInText(InvalidAnomaly):
    """A text of the register would put personal data in the public report."""


class UnknownAnomaly(LookupError):
    def __init__(self, anomaly_id: UUID) -> None:
        super().__init__(f"no anomaly {anomaly_id}")


class UnknownAction(LookupError):
    def __init__(self, anomaly_id: UUID, number: int) -> None:
        super().__init__(f"anomaly {anomaly_id} has no action {number}")


# What would identify a citizen in a public text: an e-mail address, a codice fiscale, a case
# reference (the citizen's own receipt number, e.g. CM-2026-000123).
_PERSONAL = (
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "un indirizzo e-mail"),
    (re.compile(r"\b[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z]\b", re.IGNORECASE), "un codice fiscale"),
    (re.compile(r"\b[A-Z]{2,4}-\d{4}-\d{4,}\b"), "il numero di una pratica"),
)
_PERSONAL_EN = {
    "un indirizzo e-mail": "an e-mail address",
    "un codice fiscale": "a codice fiscale (tax code)",
    "il numero di una pratica": "a case's reference",
}


def check_public_text(text: str) -> str:
    """The text itself, or PersonalDataInText saying what it must not contain."""
    for pattern, what in _PERSONAL:
        if pattern.search(text):
            raise PersonalDataInText(
                f"the text contains {_PERSONAL_EN[what]}: it goes into the public report,"
                " which holds no personal data",
                it=f"il testo contiene {what}: finisce nella relazione pubblica,"
                " senza dati personali",
            )
    return text


def breach_anomaly_id(clock_id: UUID, run_started_at: datetime) -> UUID:
    """The anomaly of one breached run of a clock: the same id before and after it is written."""
    return uuid5(ANOMALY_NAMESPACE, f"breach/{clock_id}/{run_started_at.isoformat()}")


class Anomaly(Aggregate):
    """One anomaly: what happened (when, where), its cause, and the corrective actions."""

    class Opened(Aggregate.Created):
        tenant: str
        organization: str | None
        kind: str
        title: str
        started_at: datetime
        ended_at: datetime | None
        standard: str | None
        clock_id: UUID | None
        recorded_by: str
        recorded_at: datetime

    @event(Opened)
    def __init__(
        self,
        tenant: str,
        organization: str | None,
        kind: str,
        title: str,
        started_at: datetime,
        ended_at: datetime | None,
        standard: str | None,
        clock_id: UUID | None,
        recorded_by: str,
        recorded_at: datetime,
    ) -> None:
        self.tenant = tenant
        self.organization = organization
        self.kind = AnomalyKind(kind)
        self.title = title
        self.started_at = started_at
        self.ended_at = ended_at
        self.standard = standard
        self.clock_id = clock_id
        self.recorded_by = recorded_by
        self.recorded_at = recorded_at
        self.cause: str | None = None
        self.actions: list[dict[str, object]] = []

    @classmethod
    def record(
        cls,
        *,
        tenant: str,
        organization: str | None,
        kind: AnomalyKind,
        title: str,
        started_at: datetime,
        ended_at: datetime | None,
        by: str,
        at: datetime,
    ) -> Anomaly:
        """An anomaly that is not a breach: a service interruption, a line down, anything else."""
        if kind is AnomalyKind.BREACH:
            raise InvalidAnomaly(
                "breaches are anomalies of their clocks: record their cause instead",
                it="le scadenze superate sono anomalie dei loro termini: ne registri la causa",
            )
        if ended_at is not None and ended_at < started_at:
            raise InvalidAnomaly(
                "ended_at must not be before started_at",
                it="ended_at non può essere prima di started_at",
            )
        return cls(
            tenant=tenant,
            organization=organization,
            kind=kind.value,
            title=check_public_text(title),
            started_at=started_at,
            ended_at=ended_at,
            standard=None,
            clock_id=None,
            recorded_by=by,
            recorded_at=at,
        )

    @classmethod
    def of_breach(
        cls,
        *,
        tenant: str,
        organization: str | None,
        standard: str,
        clock_id: UUID,
        run_started_at: datetime,
        deadline: datetime,
        by: str,
        at: datetime,
    ) -> Anomaly:
        """The breach of one run, written down the first time someone records something on it."""
        return cls(
            tenant=tenant,
            organization=organization,
            kind=AnomalyKind.BREACH.value,
            title=standard,
            started_at=run_started_at,
            ended_at=deadline,
            standard=standard,
            clock_id=clock_id,
            recorded_by=by,
            recorded_at=at,
        )

    @staticmethod
    def create_id(clock_id: UUID | None, started_at: datetime, **_: object) -> UUID:
        """A breach's id is its clock run's; any other anomaly gets a new one."""
        return breach_anomaly_id(clock_id, started_at) if clock_id else uuid4()

    # --- commands -------------------------------------------------------------------------------

    def record_cause(self, cause: str, by: str, at: datetime) -> None:
        cause = check_public_text(cause.strip())
        if cause != self.cause:
            self._cause_recorded(cause=cause, by=by, at=at)

    def add_action(
        self, description: str, status: ActionStatus, due: date | None, by: str, at: datetime
    ) -> int:
        """A corrective action, taken or planned; returns its number (1, 2, ...)."""
        self._action_added(
            description=check_public_text(description.strip()),
            status=status.value,
            due=due.isoformat() if due else None,  # the store's transcoder has no `date`
            by=by,
            at=at,
        )
        return len(self.actions)

    def set_action_status(self, number: int, status: ActionStatus, by: str, at: datetime) -> None:
        if not 1 <= number <= len(self.actions):
            raise UnknownAction(self.id, number)
        if self.actions[number - 1]["status"] != status.value:
            self._action_status_changed(number=number, status=status.value, by=by, at=at)

    def close(self, ended_at: datetime, by: str, at: datetime) -> None:
        """An interruption is over (a breach ends at its deadline already)."""
        if ended_at < self.started_at:
            raise InvalidAnomaly(
                "ended_at must not be before started_at",
                it="ended_at non può essere prima di started_at",
            )
        if ended_at != self.ended_at:
            self._ended(ended_at=ended_at, by=by, at=at)

    @event("CauseRecorded")
    def _cause_recorded(self, cause: str, by: str, at: datetime) -> None:
        self.cause = cause

    @event("ActionAdded")
    def _action_added(
        self, description: str, status: str, due: str | None, by: str, at: datetime
    ) -> None:
        self.actions.append(
            {"description": description, "status": status, "due": due, "by": by, "at": at}
        )

    @event("ActionStatusChanged")
    def _action_status_changed(self, number: int, status: str, by: str, at: datetime) -> None:
        self.actions[number - 1] = {
            **self.actions[number - 1],
            "status": status,
            "by": by,
            "at": at,
        }

    @event("Ended")
    def _ended(self, ended_at: datetime, by: str, at: datetime) -> None:
        self.ended_at = ended_at
