"""The base of every service's eventsourcing Application, and its single writer thread.

**Batches of consumed events** (`ServiceApplication.process_batch`, driven by the consumer
runner): the policies of several fetched messages run one after another on the writer thread,
each into its own `ProcessingEvent`; then the new events of all of them and one tracking row per
message are committed in ONE transaction (`recorders.py`), and only then are the messages acked.
Exactly once holds because every message's effects and its tracking row are in the same
transaction, as with one message per transaction: all of them commit, or none does.

What a batch must not change is what each policy sees: a message's policy must see the effects
of every earlier message, as if each had committed on its own. Effects of earlier messages of the
same batch are not committed yet while later policies run, so a policy that *reads* an aggregate
an earlier message of its batch changed would read the committed, stale state. How that is
excluded, layer by layer:

1. The runner puts at most one message per case in a batch (the CloudEvent `subject` is the case
   id, and every service's reactions read and write that case's aggregates): a second message for
   the same case, or a second copy of the same tracking record, closes the batch.
2. A *write* of an aggregate an earlier message of the batch also wrote cannot go unnoticed: both
   start from the same committed version, so the two events carry the same (id, version) and the
   batched insert fails on the primary key; the runner then processes those messages one at a
   time through the per-message path (as does any other failure of the batched transaction).
3. A *read without a write* is the case a conflict would not reveal (e.g. a policy that reads a
   shared per-tenant aggregate, or raises RetryLater because an aggregate does not exist yet). So
   while a batch's policies run, the writer thread notes every aggregate id it reads, through the
   repository (`repository.get`, cache hits included) and through the recorder (`select_events`,
   e.g. routing's read of the current directory version). A message whose policy read (or wrote)
   an aggregate that an earlier message of the batch wrote is *deferred*: its outcome is
   discarded (policies collect events; their only other effects, the vault's key erasure and
   creation, are idempotent, as a retried message already requires) and it is processed again
   in the next batch, after the commit, where it reads the committed state. The first message of a
   batch is never deferred, so every batch makes progress.
4. What policies read that is not an aggregate: tenant catalogues and settings (read-only);
   routing's directory and rules, written only by HTTP commands, which cannot run in the middle of
   a batch because the whole batch is one call on the single writer thread; sla's clock board and
   intake's search index, which the policies do not read; the personal-data vault, whose keys
   belong to one data subject: routing and notify key by case id (one message per case in a
   batch) and erase a case's key inside the policy; keys are made (insert if missing) when the
   batch's events are mapped for the commit, before the insert, as for a single message, and
   intake's ingest makes its citizens' keys in the policy, shared by whichever message comes
   first. A policy that starts to read the notification log or a table of its own, for something
   a reaction writes, would bypass layer 3: keep reads of state that reactions change on the
   repository.

Other replicas write concurrently, exactly as with one message per transaction: a conflict on an
aggregate version or on a tracking row fails the batched transaction, and the per-message path
then retries, skips duplicates or dead-letters each message as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import ProcessingEvent, Repository
from eventsourcing.persistence import Recording, Tracking
from eventsourcing.projection import EventSourcedProjection
from eventsourcing.utils import Environment, EnvType, strtobool
from sportello_contracts import CloudEvent, EventPayload
from sportello_contracts.personal import PersonalAnswer

from . import prefetch
from .changes import Changes
from .log_tail import LogTail
from .persistence import is_tracked, tracked
from .personal_data.mapper import DATA_SUBJECT_LINKS
from .recorders import (
    TRACKINGS,
    BatchPostgresProcessRecorder,
    BatchSQLiteProcessRecorder,
    observe_reads,
    read_key,
    recorder_topic_for,
)
from .remembered import Remembered
from .store_changes import StoreChanges, store_changes

T = TypeVar("T")


class RetryLater(Exception):
    """The event cannot be processed yet (e.g. it overtook the event it depends on)."""


class Rejected(Exception):
    """The event can never be processed: it is dead-lettered with this reason."""


class Deferred(Exception):
    """A batched message read what an earlier message of its batch changed: process it later."""


DEFERRED = Deferred("read what an earlier message of the same batch changed")


@dataclass(frozen=True)
class Incoming:
    """A public event received from the bus, as the application's policy sees it."""

    envelope: CloudEvent
    payload: EventPayload
    subject: str = ""  # the NATS subject: authenticated by NATS permissions, unlike the body
    # what intake answered for this event, when the consumer asks (ConsumerSpec.personal_data)
    personal: PersonalAnswer | None = None


class ServiceApplication(EventSourcedProjection[UUID]):
    """An Application that also processes public events with a tracking record per message.

    Subclasses implement `react(payload, incoming, processing_event)` and collect new aggregate
    events on `processing_event`; eventsourcing records them with the tracking row in one
    transaction, which is what makes each upstream event's effect happen exactly once.
    """

    # Keep the aggregates a batch read or wrote for the next batches while no other process
    # commits (remembered.py); only for aggregates that keep no mutable object of their events.
    remembers_aggregates = False

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        self._save_listeners: list[Callable[[], None]] = []
        self.log_tail = LogTail()  # what this process just committed, for its followers
        self.remembered = Remembered() if self.remembers_aggregates else None
        self._remembered_signal: StoreChanges | None = None

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        """Select the process recorder that commits a batch's tracking rows together."""
        environment = super().construct_env(name, env)
        if not environment.get("PROCESS_RECORDER_TOPIC"):
            topic = recorder_topic_for(environment.get("PERSISTENCE_MODULE"))
            if topic is not None:
                environment["PROCESS_RECORDER_TOPIC"] = topic
        return environment

    def construct_repository(self) -> Repository[UUID]:
        """eventsourcing's repository, noting what a batch's policies read (cache hits too)."""
        cache_maxsize = self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return prefetch.ObservedRepository(
            event_store=self.events,
            snapshot_store=self.snapshots,
            cache_maxsize=int(cache_maxsize) if cache_maxsize else None,
            fastforward=strtobool(self.env.get(self.AGGREGATE_CACHE_FASTFORWARD, "y")),
            fastforward_skipping=strtobool(
                self.env.get(self.AGGREGATE_CACHE_FASTFORWARD_SKIPPING, "n")
            ),
            deepcopy_from_cache=strtobool(self.env.get(self.DEEPCOPY_FROM_AGGREGATE_CACHE, "y")),
        )

    def policy(self, domain_event: Any, processing_event: ProcessingEvent[UUID]) -> None:
        assert isinstance(domain_event, Incoming)
        self.react(domain_event.payload, domain_event, processing_event)

    def react(
        self, payload: EventPayload, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        """Public events a service does not react to are tracked and otherwise ignored."""

    def aggregates_to_read(self, incoming: Incoming) -> Iterable[UUID]:
        """The aggregates `react` will read for this message, read for the whole batch in one
        query before the policies run (prefetch.py); any it omits are read one by one."""
        return ()

    def letter_key(self, subject: str, data: bytes | None) -> bytes | None:
        """The key sealing a dead letter (bus/sealing.py); None: this service keeps no keys, so
        its dead letters keep no payload. `PersonalDataStore` keeps them in its vault."""
        return None

    def process_incoming(self, incoming: Incoming, tracking: Tracking) -> None:
        self.process_event(incoming, tracking)  # type: ignore[arg-type]

    def is_tracked(self, tracking: Tracking) -> bool:
        return is_tracked(self.recorder, tracking)

    def tracked(self, trackings: Sequence[Tracking]) -> set[Tracking]:
        return tracked(self.recorder, trackings)

    @property
    def processes_batches(self) -> bool:
        """Whether the recorder commits many tracking rows at once (not the in-memory one)."""
        return isinstance(self.recorder, BatchPostgresProcessRecorder | BatchSQLiteProcessRecorder)

    def process_batch(self, batch: Sequence[tuple[Incoming, Tracking]]) -> list[Exception | None]:
        """Run each message's policy in order, then commit all their effects in one transaction.

        Returns one outcome per message: None (committed with its tracking row), `DEFERRED`
        (not processed: it read what an earlier message changed, see the module docstring), or
        the exception its policy raised (Rejected, RetryLater, ...: nothing of it is recorded).
        An exception raised from here means the batch as a whole may not have committed.
        """
        if not self.processes_batches:
            raise TypeError(f"{type(self.recorder).__name__} cannot commit a batch")
        outcomes: list[Exception | None] = []
        processed: list[ProcessingEvent[UUID]] = []
        written: set[UUID | str] = set()
        wanted = [i for incoming, _ in batch for i in self.aggregates_to_read(incoming)]
        with prefetch.prefetched(
            self.recorder, self.mapper, wanted, self.remembered, self._signal_for_remembered()
        ):
            for incoming, tracking in batch:
                self._run_policy(incoming, tracking, outcomes, processed, written)
        if processed:
            self._record_batch(processed)
        return outcomes

    def _run_policy(
        self,
        incoming: Incoming,
        tracking: Tracking,
        outcomes: list[Exception | None],
        processed: list[ProcessingEvent[UUID]],
        written: set[UUID | str],
    ) -> None:
        """One message of a batch: its outcome, and its processing event if it is recorded."""
        processing_event = Changes(tracking=tracking)
        failure: Exception | None = None
        with observe_reads() as reads:
            try:
                self.policy(incoming, processing_event)
            except Exception as exc:
                failure = exc
        writes = {read_key(e.originator_id) for e in processing_event.events}
        if written and not written.isdisjoint(reads | writes):
            outcomes.append(DEFERRED)
        elif failure is not None:
            outcomes.append(failure)
        else:
            outcomes.append(None)
            processed.append(processing_event)
            written |= writes

    def _record_batch(self, processed: list[ProcessingEvent[UUID]]) -> None:
        """What `process_event` does after the policy, for many processing events at once."""
        combined = Changes()
        links: list[tuple[UUID, str]] = []  # each message's own: merged, not replaced
        for processing_event in processed:
            combined.events.extend(processing_event.events)
            combined.aggregates.update(processing_event.aggregates)
            combined.saved_kwargs.update(processing_event.saved_kwargs)
            links += processing_event.saved_kwargs.get(DATA_SUBJECT_LINKS, ())
        combined.saved_kwargs[TRACKINGS] = [p.tracking for p in processed]
        if links:
            combined.saved_kwargs[DATA_SUBJECT_LINKS] = links
        recordings = self._record(combined)
        self._take_snapshots(combined)
        self.notify(combined.events)
        self._notify(recordings)

    def _signal_for_remembered(self) -> StoreChanges | None:
        """The store's signal, made once (a file watch on SQLite reads the files to start)."""
        if self.remembered is not None and self._remembered_signal is None:
            self._remembered_signal = store_changes(self.recorder)
        return self._remembered_signal

    def _record(self, processing_event: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        try:
            recordings = super()._record(processing_event)
        except Exception:
            if self.remembered is not None:  # another process wrote first, or it may have
                self.remembered.forget()
            raise
        if self.remembered is not None:
            self.remembered.keep_written(recordings)
        return recordings

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """eventsourcing's `save`, collecting through `Changes` (changes.py)."""
        changes = Changes()
        changes.collect_events(*objs, **kwargs)
        recordings = self._record(changes)
        self._take_snapshots(changes)
        self._notify(recordings)
        self.notify(changes.events)  # deprecated in eventsourcing, still called by its save
        return recordings

    def on_saved(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Called (from the writer thread) after each commit: wakes followers without polling.

        Returns the function that removes the listener again.
        """
        self._save_listeners.append(listener)
        return lambda: self._save_listeners.remove(listener)

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        super()._notify(recordings)
        if recordings:
            self.log_tail.add(recordings)
            for listener in list(self._save_listeners):
                listener()
