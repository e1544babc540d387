"""sla-svc use cases: clocks start, pause, stop and restart on case events; the sweep warns and
breaches on time; queries read the aggregates or the clock board."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import lru_cache
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import IntegrityError
from sportello_contracts import EventPayload
from sportello_contracts import cases as case_events
from sportello_contracts.notifications import NotificationSent, SurveyAnswered
from sportello_shared.application import Incoming, RetryLater, ServiceApplication
from sportello_shared.logging import get_logger
from sportello_shared.personal_data.store import PersonalDataStore
from sportello_shared.prefetch import case_of

from .board import ClockBoard
from .casefiles import CaseProfile, SatisfactionRating, profile_id_for
from .catalogue import SlaCatalogue, no_policy_for
from .clock_events import Span, apply_case_event
from .domain import Clock, clock_id_for
from .heeded import LIFECYCLE as _LIFECYCLE
from .policies import Rule

log = get_logger(__name__)

# Same reason as `domain.clock_id_for`'s cache: each message about a case looks its profile up.
_profile_id = lru_cache(maxsize=4096)(profile_id_for)


class SlaApplication(PersonalDataStore, ServiceApplication):
    """sla-svc's store holds no personal data; `PersonalDataStore` gives it the key vault that
    seals its dead letters (bus/sealing.py)."""

    name = "sla"
    # a case's next message finds its profile and clocks in memory (shared/remembered.py):
    # their events hold only immutable values (a clock's suspensions are its own list)
    remembers_aggregates = True

    def __init__(self, catalogue: SlaCatalogue, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        self.catalogue = catalogue
        # every standard a case of the tenant may have a clock for, looked up on every message
        self._standards = {t: tuple(catalogue[t].policy.standard_ids()) for t in catalogue}
        self.board = ClockBoard(self)
        self.board.catch_up()
        self.on_saved(self.board.take_committed)

    # --- queries --------------------------------------------------------------------------------

    def clocks_for(self, case_id: UUID) -> list[Clock]:
        """The case's clocks, one per standard that started on it (none if the case is unknown)."""
        profile = self._find(_profile_id(case_id))
        if not isinstance(profile, CaseProfile) or profile.tenant not in self.catalogue:
            return []
        return list(self._clocks(profile))

    def find(self, aggregate_id: UUID) -> object | None:
        """Any aggregate of sla-svc by id (a clock, a case profile, an anomaly), or None."""
        return self._find(aggregate_id)

    def rule_of(self, clock: Clock) -> Rule:
        return self.catalogue[clock.tenant].rule(clock.standard, clock.policy_version)

    # --- the sweep ------------------------------------------------------------------------------

    def sweep(self, now: datetime, limit: int = 500) -> list[Clock]:
        """Warn and breach the clocks due by `now`, in one transaction."""
        self.board.catch_up()
        changed = []
        for clock_id in self.board.due(now, limit):
            clock = self._find(clock_id)
            if not isinstance(clock, Clock):
                continue
            if clock.breach_if_overdue(now) or clock.warn_if_due(now):
                changed.append(clock)
        if not changed:
            return []
        try:
            self.save(*changed)
        except IntegrityError:
            # Another writer changed one of these clocks first: look at them again next time.
            log.info("sla.sweep_conflict", clocks=len(changed))
            for clock in changed:
                self.board.reschedule(clock.id, now)
            return []
        log.info("sla.swept", clocks=len(changed))
        return changed

    # --- reactions to case events ---------------------------------------------------------------

    def aggregates_to_read(self, incoming: Incoming) -> Iterable[UUID]:
        """The case's profile and a clock per standard of its tenant: one query for a batch."""
        case = case_of(incoming.payload)  # None for a malformed id: its policy refuses it
        standards = self._standards.get(incoming.envelope.tenant)
        if case is None or standards is None:
            return ()
        return (_profile_id(case), *(clock_id_for(case, standard) for standard in standards))

    @singledispatchmethod
    def react(
        self, payload: EventPayload, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        """Every case event after case.received may stop, suspend, resume or restart a clock."""
        if isinstance(payload, _LIFECYCLE) and incoming.envelope.tenant in self.catalogue:
            profile = self._profile_of(payload.case_id)
            # only routing's decision moves a case (and its clocks) to an organization
            organization = None
            if isinstance(payload, case_events.CaseAssigned):
                organization = payload.organization
                profile.record_assignment(organization)
                processing_event.collect_events(profile)
            self._on_case_event(
                profile,
                payload.event,
                payload.occurred_at,
                incoming,
                processing_event,
                organization,
            )

    @react.register
    def _(
        self,
        payload: case_events.CaseReceived,
        incoming: Incoming,
        processing_event: ProcessingEvent[UUID],
    ) -> None:
        tenant = incoming.envelope.tenant
        if tenant not in self.catalogue:
            return
        case_id = UUID(payload.case_id)
        profile = self._find(_profile_id(case_id))
        if not isinstance(profile, CaseProfile):
            profile = CaseProfile(
                case_id=case_id,
                tenant=tenant,
                kind=payload.kind.value,
                channel=payload.channel.value,
                category=payload.category,
                handling_mode=payload.handling_mode.value if payload.handling_mode else None,
                received_at=payload.received_at,
            )
            processing_event.collect_events(profile)
        starts = self.catalogue[tenant].clocks_start_at(payload.received_at, payload.registered_at)
        self._on_case_event(profile, "received", starts, incoming, processing_event)

    @react.register
    def _(
        self,
        payload: case_events.CaseClassified,
        incoming: Incoming,
        processing_event: ProcessingEvent[UUID],
    ) -> None:
        """The triage said what a case that came by itself is about: the standards of its kind
        and category start from when it was received (the Carta's terms run from the citizen's
        message, not from the classification); the clocks already running go on."""
        if incoming.envelope.tenant not in self.catalogue:
            return
        profile = self._profile_of(payload.case_id)
        if profile.record_classification(payload.kind.value, payload.category):
            processing_event.collect_events(profile)
        span = Span(incoming.envelope.traceparent)
        existing = {clock.standard for clock in self._clocks(profile)}
        self._start_clocks(
            profile, "received", profile.received_at, existing, span, processing_event
        )
        self._on_case_event(profile, payload.event, payload.occurred_at, incoming, processing_event)

    @react.register
    def _(
        self, payload: NotificationSent, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        """A message delivered to the citizen stops the standards that name its template."""
        if incoming.envelope.tenant not in self.catalogue:
            return
        for clock in self._clocks(self._profile_of(payload.case_id)):
            rule = self.rule_of(clock)
            version = clock.version
            if rule.standard.stops_on_notification(payload.template):
                clock.stop(payload.at, rule)
            if clock.version != version:
                processing_event.collect_events(clock)

    @react.register
    def _(
        self, payload: SurveyAnswered, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        """The citizen's rating, for the satisfaction column of the compliance report."""
        if incoming.envelope.tenant not in self.catalogue:
            return
        profile = self._profile_of(payload.case_id)
        rating_id = SatisfactionRating.create_id(profile.case_id, payload.at)
        if self._find(rating_id) is None:
            rating = SatisfactionRating(
                case_id=profile.case_id,
                tenant=profile.tenant,
                organization=payload.organization or profile.organization,
                rating=payload.rating,
                at=payload.at,
            )
            processing_event.collect_events(rating)

    # --- helpers --------------------------------------------------------------------------------

    def _on_case_event(
        self,
        profile: CaseProfile,
        event: str,
        at: datetime,
        incoming: Incoming,
        processing_event: ProcessingEvent[UUID],
        organization: str | None = None,
    ) -> None:
        """Start, stop, suspend, resume or restart each of the case's clocks on one case event."""
        span = Span(incoming.envelope.traceparent)
        existing = {clock.standard: clock for clock in self._clocks(profile)}
        self._start_clocks(profile, event, at, set(existing), span, processing_event)
        for clock in existing.values():
            version = clock.version
            if organization is not None:
                clock.record_assignment(organization)
            apply_case_event(clock, self.rule_of(clock), event, at, span)
            if clock.version != version:  # collecting nothing still costs eventsourcing a lot
                processing_event.collect_events(clock)

    def _start_clocks(
        self,
        profile: CaseProfile,
        event: str,
        at: datetime,
        running: set[str],
        span: Span,
        processing_event: ProcessingEvent[UUID],
    ) -> None:
        """A clock for each standard that starts on `event` for the case and has none yet."""
        for rule in self.catalogue[profile.tenant].rules_starting(event, profile.facts, at):
            if rule.id not in running:
                clock = Clock.start(
                    case_id=profile.case_id,
                    tenant=profile.tenant,
                    organization=profile.organization,
                    rule=rule,
                    started_at=at,
                    traceparent=span.traceparent,
                )
                processing_event.collect_events(clock)

    def _clocks(self, profile: CaseProfile) -> Iterator[Clock]:
        try:
            standards = self._standards[profile.tenant]
        except KeyError:
            raise no_policy_for(profile.tenant) from None  # as the catalogue itself would
        for standard in standards:
            clock = self._find(clock_id_for(profile.case_id, standard))
            if isinstance(clock, Clock):
                yield clock

    def _profile_of(self, case_id: str) -> CaseProfile:
        """The case's facts; none yet means the event overtook its case.received: retry later."""
        profile = self._find(_profile_id(UUID(case_id)))
        if not isinstance(profile, CaseProfile):
            raise RetryLater(f"case {case_id} unknown: its case.received has not arrived")
        return profile

    def _find(self, aggregate_id: UUID) -> object | None:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
