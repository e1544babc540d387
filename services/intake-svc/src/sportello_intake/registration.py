"""Registering cases: the door's checks, the reference number, many cases in one commit."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError
from sportello_shared.entropy import random_uuid
from sportello_shared.outages import STORE, Unavailable
from sportello_shared.personal_data.mapper import DATA_SUBJECT_LINKS
from sportello_shared.tenants import Tenant, UnknownTenant

from .contacts import ContactUnusable, check_contacts
from .domain import UNCLASSIFIED, Case, ReferenceCounter, case_id_for
from .follow import FollowLink, new_follow_token
from .wording import unknown_category

if TYPE_CHECKING:
    from .application import IntakeApplication

SAVE_ATTEMPTS = 10


class IdempotencyConflict(ValueError):
    """The same idempotency key was sent with a different request."""


class LateEntryNeedsReason(ValueError):
    """Received longer ago than the tenant's window: say why it is typed in only now."""

    def __init__(self, days: int, window: int) -> None:
        super().__init__(
            f"received {days} days ago, over the {window}-day window: give late_entry_reason"
        )
        self.days = days
        self.window = window

    def localized(self, language: str) -> str:
        if language == "en":
            return str(self)
        return (
            f"ricevuta {self.days} giorni fa, oltre la finestra di {self.window} giorni: "
            "indichi il motivo della registrazione tardiva (late_entry_reason)"
        )

    def problem_extra(self) -> dict[str, Any]:
        return {"field": "late_entry_reason", "window_days": self.window}


class AnsweredNeedsItsMode(ValueError):
    """An answer on the spot is handling mode `answered` (or none given)."""

    def __init__(self, mode: str) -> None:
        super().__init__(f"a case answered on the spot is handling mode 'answered', not {mode!r}")

    def localized(self, language: str) -> str:
        if language == "en":
            return str(self)
        return "una pratica con risposta immediata ha modalità 'answered' (risposta diretta)"

    def problem_extra(self) -> dict[str, Any]:
        return {"field": "handling_mode"}


class UnknownCategory(ValueError):
    """Lists the tenant's categories, so the caller can pick one."""

    def __init__(self, category: str, tenant: Tenant) -> None:
        super().__init__(f"unknown category {category!r} for {tenant.id}")
        self.category = category
        self.tenant_name = tenant.name
        self.known = [c.service_code for c in tenant.categories]

    def localized(self, language: str) -> str:
        return unknown_category(language, self.category, self.tenant_name, self.known)

    def problem_extra(self) -> dict[str, Any]:
        return {"field": "category", "categories": self.known}


# what the request says: refused alone, not its batch
REFUSALS = (
    AnsweredNeedsItsMode,
    UnknownTenant,
    UnknownCategory,
    IdempotencyConflict,
    ContactUnusable,
    LateEntryNeedsReason,
)


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
    late_entry_reason: str | None = None
    message_id: str | None = None  # the citizen's e-mail/PEC that made it: answered by reply
    answer: str | None = None  # answered on the spot: closed at once with it, never routed


@dataclass
class RegistrationBatch:
    """New cases and the reference counters they drew from, saved together."""

    counters: dict[tuple[str, int], ReferenceCounter] = field(default_factory=dict)
    cases: dict[UUID, Case] = field(default_factory=dict)
    follow_links: list[FollowLink] = field(default_factory=list)

    @property
    def aggregates(self) -> list[Aggregate]:
        return [*self.counters.values(), *self.cases.values(), *self.follow_links]


@dataclass(frozen=True)
class Registration:
    case: Case
    created: bool = field(default=True)


def register_cases(
    app: IntakeApplication, commands: list[RegisterCase]
) -> list[Registration | Exception]:
    """Register many cases in one transaction: one commit (and one fsync) for all of them.

    Each command gets its own outcome: a refused one does not stop the others. The caller
    answers each request only after this returns, i.e. after the commit.
    """
    for attempt in range(1, SAVE_ATTEMPTS + 1):
        batch = RegistrationBatch()
        outcomes: list[Registration | Exception] = []
        for command in commands:
            try:
                outcomes.append(prepare_registration(app, command, batch))
            except REFUSALS as exc:
                outcomes.append(exc)
        try:
            if batch.aggregates:
                others = app.counters.others()
                recordings = app.save(*batch.aggregates, **{DATA_SUBJECT_LINKS: links(app, batch)})
                app.counters.committed(batch.counters.values(), others)
                app.fresh_cases.keep(batch.cases.values(), [r.domain_event for r in recordings])
        except IntegrityError as exc:
            # Another replica drew from the same reference counter: draw again, after a
            # random pause so that the replicas stop colliding in step.
            app.counters.forget()
            if attempt == SAVE_ATTEMPTS:
                raise Unavailable(STORE, f"reference counter contended {attempt} times") from exc
            time.sleep(random.uniform(0.005, 0.02) * attempt)
            continue
        return outcomes
    raise AssertionError("unreachable")


def prepare_registration(
    app: IntakeApplication, command: RegisterCase, batch: RegistrationBatch
) -> Registration:
    """Validate and build a new case (and its reference) into `batch`, without saving."""
    tenant = app.tenants.get(command.tenant)
    if tenant is None:
        raise UnknownTenant(f"unknown tenant {command.tenant!r}", field="tenant")
    if command.category != UNCLASSIFIED and tenant.category(command.category) is None:
        raise UnknownCategory(command.category, tenant)
    check_contacts(command.citizen)
    if command.answer and command.handling_mode not in (None, "answered"):
        raise AnsweredNeedsItsMode(command.handling_mode)
    key = command.idempotency_key or _external_key(command.external_ref)
    case_id = random_uuid() if key is None else case_id_for(tenant.id, key)
    # A fresh uuid4 cannot exist yet: only idempotent registrations need the lookup.
    existing = None if key is None else batch.cases.get(case_id) or app.find_case(case_id)
    if existing is not None:
        _check_same_request(existing, command)
        return Registration(existing, created=False)
    now = app.clock()
    received_at = command.received_at or now
    late_entry_reason = _late_entry(tenant, received_at, now, command.late_entry_reason)
    # The reference's year is the registration's, in the tenant's time zone (docs/door-rules.md)
    year = now.astimezone(ZoneInfo(tenant.timezone)).year
    counter = batch.counters.get((tenant.id, year)) or app.counters.get(tenant.id, year)
    batch.counters[(tenant.id, year)] = counter
    counter.issue()
    follow_token = new_follow_token()
    case = Case.register(
        case_id=case_id,
        tenant=tenant.id,
        reference=f"{tenant.reference_prefix}-{year}-{counter.last:06d}",
        **{k: getattr(command, k) for k in ("kind", "channel", "category", "description")},
        citizen=command.citizen,
        location=command.location,
        handling_mode="answered" if command.answer else command.handling_mode,
        external_ref=command.external_ref,
        attachments=command.attachments,
        received_at=received_at,
        registered_at=now,
        actor=command.actor,
        traceparent=command.traceparent,
        data_subject=app.data_subject_of(command.citizen),
        follow_token=follow_token,
        late_entry_reason=late_entry_reason,
        message_id=command.message_id or "",
        answered_on_the_spot=bool(command.answer),
    )
    batch.follow_links.append(FollowLink.issue(follow_token, case_id, tenant.id))
    if command.out_of_scope:
        case.reject(command.out_of_scope, command.actor, now, command.traceparent)
    elif command.answer:
        case.answer_on_the_spot(command.answer, command.actor, now, command.traceparent)
    batch.cases[case_id] = case
    return Registration(case)


def links(app: IntakeApplication, batch: RegistrationBatch) -> list[tuple[UUID, str]]:
    """Each case linked to every contact it names, so an erasure asked by any of them finds it:
    written with the cases, as the new citizens' keys are (personal_data/mapper.py)."""
    return [(c.id, p) for c in batch.cases.values() for p in app.pseudonyms_of(c.citizen)]


def _external_key(external_ref: dict[str, str] | None) -> str | None:
    """A case from another platform is identified by (source, id): publishing twice is one case."""
    return f"external:{external_ref['source']}/{external_ref['id']}" if external_ref else None


def _check_same_request(case: Case, command: RegisterCase) -> None:
    sent = (command.kind, command.channel, command.category, command.description)
    if sent != (case.kind, case.channel, case.category, case.description):
        raise IdempotencyConflict(
            f"this idempotency key registered {case.reference} with a different request"
        )


def _late_entry(
    tenant: Tenant, received_at: datetime, now: datetime, reason: str | None
) -> str | None:
    """The reason kept with a case received longer ago than the tenant's window (required
    then); None for a case typed in on time."""
    late = now - received_at
    if late <= timedelta(days=tenant.late_entry_days):
        return None
    if not (reason and reason.strip()):
        raise LateEntryNeedsReason(late.days, tenant.late_entry_days)
    return reason.strip()


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
