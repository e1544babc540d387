"""The URP's answer to a citizen's "not solved?": reopen (the case's own `reopen`) or decline.

Declining keeps the case closed and tells the citizen why on their status page; the reason is
written to the citizen, so it is sealed under the citizen's key like their own request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from sportello_contracts import cases as public
from sportello_shared.personal_data import ERASED_TEXT

from .adapters.publishing import _outgoing, to_public
from .application import IntakeApplication
from .domain import Case, CaseError, Status


class NoReopenRequest(CaseError):
    """Nothing to decline: the citizen has not asked, or the URP decided already."""

    def __init__(self, reference: str) -> None:
        super().__init__(f"{reference} has no reopen request waiting for a decision")
        self.reference = reference

    def localized(self, language: str) -> str:
        if language == "en":
            return str(self)
        return f"la pratica {self.reference} non ha richieste di riapertura in attesa di decisione"

    def problem_extra(self) -> dict[str, Any]:
        return {"reference": self.reference}


class ReopenDeclined(Aggregate.Event):
    """The URP keeps the case closed; the citizen reads `reason` on their status page."""

    personal_data: ClassVar[dict[str, Any]] = {"reason": ERASED_TEXT}

    tenant: str
    reference: str
    organization: str | None
    actor: str
    occurred_at: datetime
    traceparent: str | None
    reason: str
    data_subject: str

    def apply(self, aggregate: Aggregate) -> None:
        assert isinstance(aggregate, Case)
        aggregate.reopen_requested = None
        aggregate._log("reopen_declined", self.occurred_at, self.actor, reason=self.reason)


def pending_reopen_request(case: Case) -> bool:
    return case.status is Status.CLOSED and case.reopen_requested is not None


def decline(case: Case, reason: str, actor: str, now: datetime, traceparent: str | None) -> None:
    if not pending_reopen_request(case):
        raise NoReopenRequest(case.reference)
    case.trigger_event(
        ReopenDeclined,
        **case._stamp(actor, now, traceparent),
        reason=reason,
        data_subject=case.data_subject,
    )


def decline_reopening(
    app: IntakeApplication, case_id: UUID, reason: str, actor: str, traceparent: str | None
) -> Case:
    """Get → decline → save, on the writer thread like every office command."""
    case = app.get_case(case_id)
    decline(case, reason, actor, app.clock(), traceparent)
    app.save(case)
    return case


@to_public.register
def _(e: ReopenDeclined) -> Any:
    """On the stream without the reason (the citizen reads it from intake, by their link)."""
    payload = public.CaseReopenDeclined(
        case_id=str(e.originator_id), reference=e.reference, occurred_at=e.occurred_at,
        actor=e.actor,
    )  # fmt: skip
    return _outgoing(e, payload, e.tenant, e.organization, e.traceparent)
