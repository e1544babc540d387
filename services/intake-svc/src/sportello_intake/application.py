"""intake-svc use cases: register a case, run an office command, and find cases.

The pieces live by responsibility: `registration.py` (the door), `forgetting.py` (erasure),
`reactions.py` (other services' events); their names are importable from here too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Recording
from sportello_shared.application import ServiceApplication
from sportello_shared.personal_data.store import PersonalDataStore
from sportello_shared.store_changes import store_changes
from sportello_shared.tenants import TenantCatalogue, UnknownTenant

from .commands import CaseCommand, traceparent
from .contacts import contacts_named_in
from .counters import CounterCache
from .domain import TRANSITIONS, Case, ReferenceCounter, TransitionNotAllowed
from .domain.corrections import record_merge
from .duplicates import linked
from .forgetting import (
    CaseNotFound,
    CasesStillInRetention,
    CasesStillOpen,
    ErasureReport,
    ErasureRequest,
    NothingToErase,
    erase_personal_data,
)
from .fresh_cases import FreshCases
from .procedures import Procedures, prepare
from .reactions import STATUS_REPORTED, Reactions, report_status
from .recent import cases_by_reference
from .registration import (
    AnsweredNeedsItsMode,
    IdempotencyConflict,
    LateEntryNeedsReason,
    RegisterCase,
    Registration,
    RegistrationBatch,
    UnknownCategory,
    citizen_contacts,
    register_cases,
)
from .search import CaseIndex, CaseQuery, CaseRow

Clock = Callable[[], datetime]

__all__ = [
    "STATUS_REPORTED",
    "AnsweredNeedsItsMode",
    "CaseNotFound",
    "CasesStillInRetention",
    "CasesStillOpen",
    "Clock",
    "ErasureReport",
    "ErasureRequest",
    "IdempotencyConflict",
    "IntakeApplication",
    "LateEntryNeedsReason",
    "NothingToErase",
    "RegisterCase",
    "Registration",
    "RegistrationBatch",
    "UnknownCategory",
    "UnknownTenant",
    "citizen_contacts",
    "report_status",
]


class IntakeApplication(Reactions, PersonalDataStore, ServiceApplication):
    name = "intake"
    snapshotting_intervals = {ReferenceCounter: 100}

    def __init__(
        self,
        tenants: TenantCatalogue,
        index: CaseIndex,
        env: dict[str, str] | None = None,
        clock: Clock | None = None,
        procedures: Procedures | None = None,
    ) -> None:
        self.fresh_cases = FreshCases()  # before any save can drop from it
        super().__init__(env)
        self.procedures = procedures or Procedures()  # Casale's protocol, inspection, attestation
        self.tenants = tenants
        self.index = index
        self.counters = CounterCache(self.repository, store_changes(self.recorder))
        self.clock = clock or (lambda: datetime.now(UTC))

    def close(self) -> None:
        self.index.close()
        super().close()

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        """After each commit: the fresh cases it changed are advanced through its events."""
        self.fresh_cases.advance(r.domain_event for r in recordings)
        super()._notify(recordings)

    def search_cases(self, query: CaseQuery) -> tuple[list[CaseRow], int]:
        return self.index.search(query)

    # --- registering, and every office command --------------------------------------------------

    def register_case(self, command: RegisterCase) -> Registration:
        [outcome] = self.register_cases([command])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def register_cases(self, commands: list[RegisterCase]) -> list[Registration | Exception]:
        return register_cases(self, commands)

    def execute(self, command: CaseCommand) -> Case:
        """Get → call → save, for every row of the transition table (a merge saves the
        original with the duplicate, in one transaction)."""
        transition = TRANSITIONS[command.command]
        case = self.get_case(command.case_id)
        if case.status not in transition.allowed:  # before looking for an original it names
            raise TransitionNotAllowed(transition.action, case.status)
        details, original = linked(self, case, transition.command, command.details)
        now = self.clock()
        triage_first = self.tenants[case.tenant].triage_first
        details = prepare(
            self.procedures, case, transition.command, details, now, triage_first=triage_first
        )
        at = command.occurred_at if transition.backdated and command.occurred_at else now
        case.perform(transition, command.actor, at, now, traceparent(), **details)
        if original is not None:
            record_merge(original, case, command.actor, now, traceparent())
        self.save(case, *([original] if original is not None else []))
        return case

    def request_reopening(
        self, case_id: UUID, reason: str, actor: str, trace: str | None = None
    ) -> Case:
        """The citizen's "not solved?", within their tenant's reopen window."""

        def ask(case: Case, now: datetime) -> None:
            window = timedelta(days=self.tenants[case.tenant].reopen_window_days)
            case.request_reopening(reason, window, actor, now, trace or traceparent())

        return self.act(case_id, ask)

    def act(self, case_id: UUID, command: Callable[[Case, datetime], None]) -> Case:
        """Get → call → save: the shape of every command on a case."""
        case = self.get_case(case_id)
        command(case, self.clock())
        self.save(case)
        return case

    # --- the citizen's personal data ------------------------------------------------------------

    def pseudonyms_of(self, citizen: dict[str, Any]) -> list[str]:
        """The citizen's contacts (e-mail, phone, post), keyed-hashed: not reversible."""
        return [self.vault.pseudonym(kind, value) for kind, value in citizen_contacts(citizen)]

    def dead_letter_pseudonyms(self, data: bytes) -> list[str]:
        """The contacts a dead letter names (a submission's `data.citizen`, and any e-mail
        address or phone number in it, readable or not): its sealed copy in the DLQ is then
        erased with any of those citizens."""
        named = contacts_named_in(data.decode("utf-8", errors="replace"))
        try:
            citizen = json.loads(data)["data"]["citizen"]
            named += [citizen] if isinstance(citizen, dict) else []
        except (ValueError, KeyError, TypeError, AttributeError):
            pass
        return sorted({p for contact in named for p in self.pseudonyms_of(contact)})

    def data_subject_of(self, citizen: dict[str, Any]) -> str:
        """Whose key seals the case's personal data: the pseudonym of the first contact."""
        return self.pseudonyms_of(citizen)[0]

    def erase_personal_data(
        self,
        request: ErasureRequest,
        actor: str,
        traceparent: str | None,
        closed_before: datetime | None = None,
    ) -> ErasureReport:
        self.fresh_cases.clear()  # before any key is deleted
        return erase_personal_data(self, request, actor, traceparent, closed_before)

    # --- reading ---------------------------------------------------------------------------------

    def get_case(self, case_id: UUID) -> Case:
        case = self.find_case(case_id)
        if case is None:
            raise CaseNotFound(f"no case {case_id}")
        return case

    def find(self, aggregate_id: UUID) -> Aggregate | None:
        """Any of intake's aggregates (a follow link, a case), or None."""
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return aggregate

    def find_case(self, case_id: UUID) -> Case | None:
        try:
            case: Case = self.repository.get(case_id)
        except AggregateNotFoundError:
            return None
        return case

    def case_by_reference(self, tenant: str, reference: str) -> Case | None:
        """Indexed or not yet (recent.py): a reference just given out is found at once."""
        found = cases_by_reference(self, tenant, [reference])
        return found[0] if found else None
