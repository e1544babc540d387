"""intake-svc use cases: register a case, office commands, and what routing decided."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError
from sportello_shared.application import Incoming, Rejected, ServiceApplication
from sportello_shared.contracts import EventPayload
from sportello_shared.contracts.cases import CaseAssigned, CaseRoutingFailed
from sportello_shared.contracts.ingest import CaseStatusReported, CaseSubmitted, ReportedStatus
from sportello_shared.contracts.sla import SlaDeadlineSet, SlaMet
from sportello_shared.personal_data.store import PersonalDataStore
from sportello_shared.tenants import TenantCatalogue

from .domain import Case, CaseError, ReferenceCounter, case_id_for
from .search import CaseIndex, CaseQuery, CaseRow

Clock = Callable[[], datetime]
SAVE_ATTEMPTS = 10


class CaseNotFound(LookupError):
    pass


class IdempotencyConflict(ValueError):
    """The same idempotency key was sent with a different request."""


def _external_key(external_ref: dict[str, str] | None) -> str | None:
    """A case from another platform is identified by (source, id): publishing twice is one case."""
    return f"external:{external_ref['source']}/{external_ref['id']}" if external_ref else None


def _check_same_request(case: Case, command: RegisterCase) -> None:
    sent = (command.kind, command.channel, command.category, command.description)
    if sent != (case.kind, case.channel, case.category, case.description):
        raise IdempotencyConflict(
            f"this idempotency key registered {case.reference} with a different request"
        )


class UnknownTenant(ValueError):
    pass


class UnknownCategory(ValueError):
    pass


@dataclass(frozen=True)
class RegisterCase:
    tenant: str
    kind: str
    channel: str
    category: str
    description: str
    citizen: dict[str, Any]
    actor: str
    location: dict[str, Any] | None = None
    handling_mode: str | None = None
    external_ref: dict[str, str] | None = None
    received_at: datetime | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    idempotency_key: str | None = None
    traceparent: str | None = None
    out_of_scope: str | None = None


@dataclass
class RegistrationBatch:
    """New cases and the reference counters they drew from, saved together."""

    counters: dict[tuple[str, int], ReferenceCounter] = field(default_factory=dict)
    cases: dict[UUID, Case] = field(default_factory=dict)

    @property
    def aggregates(self) -> list[Aggregate]:
        return [*self.counters.values(), *self.cases.values()]


@dataclass(frozen=True)
class Registration:
    case: Case
    created: bool = field(default=True)


@dataclass(frozen=True)
class ErasureRequest:
    """Whose personal data to erase: the citizen of a case, or by their e-mail or phone."""

    case_id: UUID | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class ErasureReport:
    subjects: int  # keys deleted
    cases: list[Case]
    erased_at: datetime


class NothingToErase(LookupError):
    pass


class CasesStillOpen(CaseError):
    def __init__(self, references: list[str]) -> None:
        super().__init__(
            "personal data is erased only when every case of the citizen is closed or rejected; "
            f"still open: {', '.join(references)}"
        )
        self.references = references


def citizen_contacts(citizen: dict[str, Any]) -> list[tuple[str, str]]:
    """The contacts that identify a citizen, normalised: e-mail first, then phone, then post."""
    contacts = []
    if citizen.get("email"):
        contacts.append(("email", str(citizen["email"]).strip().lower()))
    if citizen.get("phone"):
        contacts.append(("phone", _digits(str(citizen["phone"]))))
    if citizen.get("address"):
        name = str(citizen.get("name", "")).strip().lower()
        contacts.append(("post", f"{name}|{str(citizen['address']).strip().lower()}"))
    return contacts


def _digits(phone: str) -> str:
    digits = "".join(c for c in phone if c.isdigit())
    return digits[2:] if phone.strip().startswith("+39") else digits


class IntakeApplication(PersonalDataStore, ServiceApplication):
    name = "intake"
    snapshotting_intervals = {ReferenceCounter: 100}

    def __init__(
        self,
        tenants: TenantCatalogue,
        index: CaseIndex,
        env: dict[str, str] | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(env)
        self.tenants = tenants
        self.index = index
        self.clock = clock or (lambda: datetime.now(UTC))

    def close(self) -> None:
        self.index.close()
        super().close()

    def search_cases(self, query: CaseQuery) -> tuple[list[CaseRow], int]:
        return self.index.search(query)

    def register_case(self, command: RegisterCase) -> Registration:
        [outcome] = self.register_cases([command])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def register_cases(self, commands: list[RegisterCase]) -> list[Registration | Exception]:
        """Register many cases in one transaction: one commit (and one fsync) for all of them.

        Each command gets its own outcome: a refused one does not stop the others. The caller
        answers each request only after this returns, i.e. after the commit.
        """
        for attempt in range(1, SAVE_ATTEMPTS + 1):
            batch = RegistrationBatch()
            outcomes: list[Registration | Exception] = []
            for command in commands:
                try:
                    outcomes.append(self._prepare_registration(command, batch))
                except (UnknownTenant, UnknownCategory, IdempotencyConflict) as exc:
                    outcomes.append(exc)
            try:
                if batch.aggregates:
                    self._ensure_data_keys(batch)
                    self.save(*batch.aggregates)
            except IntegrityError:
                # Another replica drew from the same reference counter: draw again, after a
                # random pause so that the replicas stop colliding in step.
                if attempt == SAVE_ATTEMPTS:
                    raise
                time.sleep(random.uniform(0.005, 0.02) * attempt)
                continue
            return outcomes
        raise AssertionError("unreachable")

    def _prepare_registration(
        self, command: RegisterCase, batch: RegistrationBatch
    ) -> Registration:
        """Validate and build a new case (and its reference) into `batch`, without saving."""
        tenant = self.tenants.get(command.tenant)
        if tenant is None:
            raise UnknownTenant(f"unknown tenant {command.tenant!r}")
        if tenant.category(command.category) is None:
            raise UnknownCategory(f"unknown category {command.category!r} for {tenant.id}")
        key = command.idempotency_key or _external_key(command.external_ref)
        case_id = uuid4() if key is None else case_id_for(tenant.id, key)
        # A fresh uuid4 cannot exist yet: only idempotent registrations need the lookup.
        existing = None if key is None else batch.cases.get(case_id) or self._find(case_id)
        if existing is not None:
            _check_same_request(existing, command)
            return Registration(existing, created=False)
        now = self.clock()
        received_at = command.received_at or now
        year = received_at.astimezone(ZoneInfo(tenant.timezone)).year
        counter = batch.counters.get((tenant.id, year)) or self._counter(tenant.id, year)
        batch.counters[(tenant.id, year)] = counter
        counter.issue()
        case = Case.register(
            case_id=case_id,
            tenant=tenant.id,
            reference=f"{tenant.reference_prefix}-{year}-{counter.last:06d}",
            kind=command.kind,
            channel=command.channel,
            category=command.category,
            description=command.description,
            citizen=command.citizen,
            location=command.location,
            handling_mode=command.handling_mode,
            external_ref=command.external_ref,
            attachments=command.attachments,
            received_at=received_at,
            registered_at=now,
            actor=command.actor,
            traceparent=command.traceparent,
            data_subject=self.data_subject_of(command.citizen),
        )
        if command.out_of_scope:
            case.reject(command.out_of_scope, command.actor, now, command.traceparent)
        batch.cases[case_id] = case
        return Registration(case)

    def pseudonyms_of(self, citizen: dict[str, Any]) -> list[str]:
        """The citizen's contacts (e-mail, phone, post), keyed-hashed: not reversible."""
        return [self.vault.pseudonym(kind, value) for kind, value in citizen_contacts(citizen)]

    def data_subject_of(self, citizen: dict[str, Any]) -> str:
        """Whose key seals the case's personal data: the pseudonym of the first contact."""
        return self.pseudonyms_of(citizen)[0]

    def _ensure_data_keys(self, batch: RegistrationBatch) -> None:
        """The new citizens' keys, durable before the events sealed under them, and each case
        linked to every contact it names, so an erasure asked by any of them finds it."""
        cases = batch.cases.values()
        self.vault.ensure(
            [case.data_subject for case in cases],
            [(case.id, p) for case in cases for p in self.pseudonyms_of(case.citizen)],
        )

    # --- the right to be forgotten ---------------------------------------------------------------

    def erase_personal_data(
        self, request: ErasureRequest, actor: str, traceparent: str | None
    ) -> ErasureReport:
        """Delete the citizen's key, then record the erasure on each of their cases.

        A crash in between leaves the key deleted and some cases without the event: asking again
        records the rest (the key is gone either way, so nothing is readable meanwhile).
        """
        pseudonyms = self._pseudonyms_asked(request)
        found = map(self._find, self.vault.aggregates_of(pseudonyms))
        cases = [case for case in found if case is not None]
        if not cases:
            raise NothingToErase("no case of this citizen")
        still_open = sorted(c.reference for c in cases if c.is_open)
        if still_open:
            raise CasesStillOpen(still_open)
        now = self.clock()
        subjects = sorted({*pseudonyms, *(c.data_subject for c in cases if c.data_subject)})
        self.vault.erase(subjects, actor, now)
        for case in cases:
            case.erase_personal_data(actor, now, traceparent)
        self.save(*cases)
        return ErasureReport(len(subjects), cases, now)

    def _pseudonyms_asked(self, request: ErasureRequest) -> list[str]:
        pseudonyms = []
        if request.case_id is not None:
            case = self._find(request.case_id)
            if case is None:
                raise CaseNotFound(f"no case {request.case_id}")
            if not case.data_subject:
                raise NothingToErase(f"{case.reference} was registered before per-citizen keys")
            pseudonyms.append(case.data_subject)
            if case.personal_data_erased_at is None:
                pseudonyms += self.pseudonyms_of(case.citizen)
        contacts = {"email": request.email, "phone": request.phone}
        pseudonyms += self.pseudonyms_of({k: v for k, v in contacts.items() if v})
        return sorted(set(pseudonyms))

    def reject(self, case_id: UUID, reason: str, actor: str, traceparent: str | None) -> Case:
        return self._act(case_id, lambda case, now: case.reject(reason, actor, now, traceparent))

    def take_in_charge(
        self, case_id: UUID, operator: str, occurred_at: datetime | None, traceparent: str | None
    ) -> Case:
        return self._act(
            case_id,
            lambda case, now: case.take_in_charge(operator, occurred_at or now, now, traceparent),
        )

    def contact_citizen(
        self,
        case_id: UUID,
        means: str,
        note: str,
        actor: str,
        occurred_at: datetime | None,
        traceparent: str | None,
    ) -> Case:
        return self._act(
            case_id,
            lambda case, now: case.contact_citizen(
                means, note, actor, occurred_at or now, now, traceparent
            ),
        )

    def wait_for_citizen(
        self,
        case_id: UUID,
        request: str,
        actor: str,
        occurred_at: datetime | None,
        traceparent: str | None,
    ) -> Case:
        return self._act(
            case_id,
            lambda case, now: case.wait_for_citizen(
                request, actor, occurred_at or now, now, traceparent
            ),
        )

    def resume(
        self, case_id: UUID, actor: str, occurred_at: datetime | None, traceparent: str | None
    ) -> Case:
        return self._act(
            case_id, lambda case, now: case.resume(actor, occurred_at or now, now, traceparent)
        )

    def resolve(
        self,
        case_id: UUID,
        outcome: str,
        actor: str,
        occurred_at: datetime | None,
        traceparent: str | None,
    ) -> Case:
        return self._act(
            case_id,
            lambda case, now: case.resolve(outcome, actor, occurred_at or now, now, traceparent),
        )

    def close_case(
        self,
        case_id: UUID,
        outcome: str,
        actor: str,
        occurred_at: datetime | None,
        traceparent: str | None,
    ) -> Case:
        return self._act(
            case_id,
            lambda case, now: case.close(outcome, actor, occurred_at or now, now, traceparent),
        )

    def reopen(
        self,
        case_id: UUID,
        reason: str,
        actor: str,
        occurred_at: datetime | None,
        traceparent: str | None,
    ) -> Case:
        return self._act(
            case_id,
            lambda case, now: case.reopen(reason, actor, occurred_at or now, now, traceparent),
        )

    def request_reassignment(
        self,
        case_id: UUID,
        reason: str,
        actor: str,
        occurred_at: datetime | None,
        traceparent: str | None,
    ) -> Case:
        return self._act(
            case_id,
            lambda case, now: case.request_reassignment(
                reason, actor, occurred_at or now, now, traceparent
            ),
        )

    def _act(self, case_id: UUID, command: Callable[[Case, datetime], None]) -> Case:
        """Get → call → save: the shape of every office command."""
        case = self.get_case(case_id)
        command(case, self.clock())
        self.save(case)
        return case

    def get_case(self, case_id: UUID) -> Case:
        case = self._find(case_id)
        if case is None:
            raise CaseNotFound(f"no case {case_id}")
        return case

    def _find(self, case_id: UUID) -> Case | None:
        try:
            case: Case = self.repository.get(case_id)
        except AggregateNotFoundError:
            return None
        return case

    def _counter(self, tenant: str, year: int) -> ReferenceCounter:
        try:
            counter: ReferenceCounter = self.repository.get(
                ReferenceCounter.create_id(tenant, year)
            )
        except AggregateNotFoundError:
            counter = ReferenceCounter(tenant, year)
        return counter

    # --- reactions to routing-svc ---------------------------------------------------------------

    @singledispatchmethod
    def react(
        self, payload: EventPayload, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        """Other public events are not intake's business."""

    @react.register
    def _(
        self, payload: CaseAssigned, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        case = self._find(UUID(payload.case_id))
        if case is None:
            return
        case.record_assignment(
            payload.organization,
            payload.organization_name,
            payload.occurred_at,
            incoming.envelope.traceparent,
        )
        processing_event.collect_events(case)

    @react.register
    def _(
        self,
        payload: CaseRoutingFailed,
        incoming: Incoming,
        processing_event: ProcessingEvent[UUID],
    ) -> None:
        case = self._find(UUID(payload.case_id))
        if case is None:
            return
        case.record_routing_failure(
            payload.triage_organization,
            payload.reason,
            payload.occurred_at,
            incoming.envelope.traceparent,
        )
        processing_event.collect_events(case)

    @react.register
    def _(
        self, payload: SlaDeadlineSet, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        case = self._find(UUID(payload.case_id))
        if case is None:
            return
        case.record_deadline(payload.standard, payload.deadline)
        processing_event.collect_events(case)

    @react.register
    def _(
        self, payload: SlaMet, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        case = self._find(UUID(payload.case_id))
        if case is None or payload.standard not in case.deadlines:
            return
        case.record_deadline_met(payload.standard)
        processing_event.collect_events(case)

    # --- what other platforms and partner companies publish on ingest.<tenant>.<source> ---------

    @react.register
    def _(
        self, payload: CaseSubmitted, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        tenant, source = _ingest_route(incoming)
        command = RegisterCase(
            tenant=tenant,
            kind=payload.kind.value,
            channel="platform",
            category=payload.category,
            description=payload.description,
            citizen=payload.citizen.model_dump(mode="json", exclude_none=True),
            location=payload.location.model_dump(mode="json") if payload.location else None,
            handling_mode=payload.handling_mode.value if payload.handling_mode else None,
            external_ref={"source": source, "id": payload.external_id},
            received_at=payload.received_at,
            actor=f"platform:{source}",
            traceparent=incoming.envelope.traceparent,
        )
        batch = RegistrationBatch()
        try:
            self._prepare_registration(command, batch)
        except (UnknownTenant, UnknownCategory, IdempotencyConflict) as exc:
            raise Rejected(str(exc)) from exc
        self._ensure_data_keys(batch)
        processing_event.collect_events(*batch.aggregates)

    @react.register
    def _(
        self,
        payload: CaseStatusReported,
        incoming: Incoming,
        processing_event: ProcessingEvent[UUID],
    ) -> None:
        tenant, organization = _ingest_route(incoming)
        case = self._find(_uuid(payload.case_id))
        if case is None or case.tenant != tenant:
            raise Rejected(f"no case {payload.case_id} in {tenant}")
        if case.organization != organization:
            raise Rejected(f"{organization} does not handle case {case.reference}")
        if case.status.value == STATUS_REPORTED[payload.status]:
            return  # the partner said it again: nothing new
        now = self.clock()
        try:
            report_status(
                case, payload, payload.occurred_at or now, now, incoming.envelope.traceparent
            )
        except CaseError as exc:
            raise Rejected(f"{case.reference}: {exc}") from exc
        processing_event.collect_events(case)


STATUS_REPORTED = {
    ReportedStatus.TAKEN_IN_CHARGE: "taken_in_charge",
    ReportedStatus.CONTACTED: "citizen_contacted",
    ReportedStatus.RESOLVED: "resolved",
    ReportedStatus.CLOSED: "closed",
}


def report_status(
    case: Case, report: CaseStatusReported, at: datetime, now: datetime, trace: str | None
) -> None:
    actor = report.operator
    match report.status:
        case ReportedStatus.TAKEN_IN_CHARGE:
            case.take_in_charge(actor, at, now, trace)
        case ReportedStatus.CONTACTED:
            case.contact_citizen("partner", report.note, actor, at, now, trace)
        case ReportedStatus.RESOLVED:
            case.resolve(report.note or "risolto", actor, at, now, trace)
        case ReportedStatus.CLOSED:
            case.close(report.note or "chiuso", actor, at, now, trace)


def _ingest_route(incoming: Incoming) -> tuple[str, str]:
    """(tenant, source) from the NATS subject, which NATS permissions vouch for."""
    parts = incoming.subject.split(".")
    if len(parts) != 3 or parts[0] != "ingest":
        raise Rejected(f"not an ingest subject: {incoming.subject!r}")
    if incoming.envelope.tenant != parts[1]:
        raise Rejected(f"envelope tenant {incoming.envelope.tenant!r} is not {parts[1]!r}")
    return parts[1], parts[2]


def _uuid(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise Rejected(f"not a case id: {value!r}") from None
