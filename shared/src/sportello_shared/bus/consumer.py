"""The consumer runner: one durable pull consumer, one sequential worker, exactly-once effects.

A fetch returns up to `batch` messages; while messages keep coming, one that came back short is
topped up once after a short linger (CONSUMER_LINGER), so that a batch takes in what arrived
meanwhile; the first message after a quiet second is handled at once. Each is parsed (the
oversized, the malformed and those that break the contract are dead-lettered at once, unknown types
acked and ignored); the tracking rows of the rest are checked in one query (already processed: ack,
no effect), unless each is a first delivery and the last query found none. The rest are committed
in batches: one call of
`ServiceApplication.process_batch` on the writer thread, i.e. every message's policy in order, then
their effects and one tracking row per message in one transaction, and only after that commit the
acks. A batch holds at most one message per case (CloudEvent `subject`) and per tracking record:
the next one for the same case starts a new batch, so one case's events keep their order and each
sees the effects of the one before. A message whose policy failed (Rejected, RetryLater, an error)
is dead-lettered or nak'ed on its own while the others commit; one that read what an earlier
message of its batch changed is deferred to the next batch (application.py's docstring gives the
reasoning). If the batched transaction fails as a whole (an integrity error: a concurrent replica,
a duplicate; or anything else), its messages are processed one at a time through the per-message
path, which is the behaviour of one transaction per message: nothing is lost, nothing happens
twice.

Personal data (docs/security.md): a reaction that needs some (`ConsumerSpec.personal_data`) gets
it from intake before its policy runs (`personal.py`; intake silent: nak with a delay); a stream
whose messages may carry it (`INGEST`) has each message deleted once its effect is committed
(`delete_processed`); a dead letter's payload is sealed under a key the service keeps, which an
erasure can delete (`sealing.py`).

Here: the fetch loop and the batching. `fetching.py`: the fetch and its linger;
`consumer_spec.py`: the spec, the processor protocol, the tracking; `envelopes.py`: parsing;
`settling.py`: ack, nak, dead-letter and the failure table.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections import deque
from collections.abc import Sequence

import nats.errors
from eventsourcing.persistence import Tracking
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from ..application import DEFERRED, Rejected, RetryLater
from ..logging import get_logger
from ..tracing import trace_id
from .consumer_spec import ConsumerSpec, Item, Processor, tracking_for
from .deduplicating import Deduplicating
from .envelopes import parse_message
from .fetching import LingeringFetch
from .personal import PersonalDataClient
from .settling import BATCHES, FALLBACKS, WAITING, Settlement, Settling, in_progress, settlement

__all__ = ["ConsumerRunner", "ConsumerSpec", "Rejected", "RetryLater", "tracking_for"]

log = get_logger(__name__)


class ConsumerRunner(Settling, Deduplicating):
    """One durable pull consumer and its sequential worker (see the module's docstring)."""

    def __init__(
        self,
        js: JetStreamContext,
        spec: ConsumerSpec,
        processor: Processor,
        long_poll: float = 1.0,  # also how long a stop waits for the loop to notice
        personal: PersonalDataClient | None = None,
        linger: float = 0.0,
    ) -> None:
        self._js = js
        self._spec = spec
        self._processor = processor
        self._personal = personal
        self._fetch = LingeringFetch(spec.batch, long_poll, linger)
        self._label = f"{spec.service}:{spec.durable}"
        self._stop = asyncio.Event()  # run()'s, once it runs

    async def run(self, stop: asyncio.Event) -> None:
        self._stop = stop
        subscription = await self._subscribe()
        try:
            while not stop.is_set():
                try:
                    messages = await self._fetch(subscription, stop)
                except (nats.errors.TimeoutError, TimeoutError):
                    continue  # nothing new within the long poll
                except (nats.errors.Error, OSError) as exc:
                    log.warning("consumer.fetch_failed", consumer=self._label, error=repr(exc))
                    await asyncio.sleep(1.0)
                    continue
                await self.handle_batch(messages)
        finally:
            await self._leave(subscription)

    async def _leave(self, subscription: JetStreamContext.PullSubscription) -> None:
        """Unsubscribe on the way out: the server drops a pull request nobody listens to any more;
        left open (a short fetch keeps it until it expires), it would take the next message into an
        inbox nobody reads, and that message would wait `ack_wait` for its redelivery."""
        with contextlib.suppress(nats.errors.Error, OSError):
            await subscription.unsubscribe()

    async def _subscribe(self) -> JetStreamContext.PullSubscription:
        while True:
            try:
                # Create or update: the consumer's filter follows the code that reads it.
                await self._js.add_consumer(self._spec.stream, self._spec.config())
                return await self._js.pull_subscribe_bind(
                    durable=self._spec.durable, stream=self._spec.stream
                )
            except (nats.errors.Error, OSError) as exc:
                log.warning("consumer.subscribe_failed", consumer=self._label, error=repr(exc))
                await asyncio.sleep(1.0)

    async def handle(self, msg: Msg) -> None:
        await self.handle_batch([msg])

    async def handle_batch(self, messages: Sequence[Msg]) -> None:
        """Everything one fetch returned; each message is acked only after its commit."""
        admitted: list[Item] = []
        for msg in messages:
            item = await self._admit(msg)
            if item is not None:
                admitted.append(item)
        enriched = await asyncio.gather(*(self._with_personal_data(item) for item in admitted))
        items = [item for item in enriched if item is not None]
        if not items:
            return
        if not self._processor.processes_batches:
            for item in items:
                await self._process(item)
            return
        seen = await self._already_processed(items)
        unchecked, seen = seen is None, seen or set()
        pending: deque[Item] = deque()
        for item in items:
            if item.tracking in seen:
                await self._ack(item.msg, "duplicate")
            else:
                pending.append(item)
        committed: set[Tracking] = set()
        while pending:
            batch = await self._next_batch(pending, committed)
            if batch:
                await self._process_batch(batch, pending, committed, unchecked)

    async def _admit(self, msg: Msg) -> Item | None:
        """Parse one message; what cannot be processed is dead-lettered or acked here."""
        try:
            incoming = parse_message(msg, self._spec)
        except Rejected as exc:
            await self._dead_letter(msg, str(exc))
            return None
        if incoming is None:
            await self._ack(msg, "ignored")
            return None
        context: dict[str, object] = {
            "consumer": self._label,
            "event_id": incoming.envelope.id,
            "case_id": incoming.envelope.subject,
            "trace_id": trace_id(incoming.envelope.traceparent),
        }
        return Item(msg, incoming, tracking_for(msg), context)

    async def _with_personal_data(self, item: Item) -> Item | None:
        """The item with what intake answered, if its reaction needs it; None: nak'ed (intake
        silent) or dead-lettered, never processed without it."""
        if item.incoming.payload.event not in self._spec.personal_data:
            return item
        if self._personal is None:
            raise RuntimeError(f"{self._label} needs personal data but has no client")
        envelope = item.incoming.envelope
        wait = 0.5
        while True:
            try:
                answer = await self._personal.fetch(envelope.tenant, envelope.subject, envelope.id)
                break
            except Rejected as exc:
                await self._dead_letter(item.msg, str(exc))
                return None
            except RetryLater as exc:
                # Intake silent (down, restarting, its store unavailable): the message waits
                # here, kept in progress, for as long as that lasts. A nak would spend one of
                # its deliveries each time and dead-letter citizens' mails after a long outage.
                if self._stop.is_set():
                    await self._retry(item.msg, str(exc), item.context)
                    return None
                WAITING.labels(self._label).inc()
                log.warning("consumer.waiting_for_intake", reason=str(exc), **item.context)
                await in_progress(item.msg)
                with contextlib.suppress(TimeoutError):  # a stop ends the wait at once
                    await asyncio.wait_for(self._stop.wait(), timeout=wait)
                wait = min(2 * wait, 10.0)
        incoming = dataclasses.replace(item.incoming, personal=answer)
        return dataclasses.replace(item, incoming=incoming)

    async def _next_batch(self, pending: deque[Item], committed: set[Tracking]) -> list[Item]:
        """From the front of `pending`: until a second message for a case or a tracking record."""
        batch: list[Item] = []
        cases: set[str] = set()
        trackings: set[Tracking] = set()
        while pending:
            item = pending[0]
            if item.tracking in committed:
                # A copy of a message that an earlier batch of this fetch committed.
                pending.popleft()
                await self._ack(item.msg, "duplicate")
                continue
            if item.case in cases or item.tracking in trackings:
                break
            pending.popleft()
            batch.append(item)
            cases.add(item.case)
            trackings.add(item.tracking)
        return batch

    async def _process_batch(
        self, batch: list[Item], pending: deque[Item], committed: set[Tracking], unchecked: bool
    ) -> None:
        try:
            outcomes = await self._processor.process_batch(
                [(item.incoming, item.tracking) for item in batch]
            )
        except Exception as exc:
            # An integrity error (another replica, a duplicate) or any other failure: nothing or
            # everything committed. One at a time, each message finds its tracking row or not.
            FALLBACKS.labels(self._label).inc()
            self._first_deliveries_new = False  # ask again until a query finds none
            log.warning(
                "consumer.batch_fallback",
                consumer=self._label,
                messages=len(batch),
                error=repr(exc),
            )
            for item in batch:
                await self._process(item)
            return
        done = [item for item, outcome in zip(batch, outcomes, strict=True) if outcome is None]
        if done:
            BATCHES.labels(self._label).observe(len(done))
        deferred: list[Item] = []
        for item, outcome in zip(batch, outcomes, strict=True):
            if outcome is None:
                committed.add(item.tracking)
                log.debug("consumer.processed", **item.context)
                await self._ack(item.msg, "processed")
            elif outcome is DEFERRED:
                deferred.append(item)
            elif unchecked and await self._tracked_already(item):
                await self._ack(item.msg, "duplicate")
            else:
                await self._settle(item, outcome, in_batch=True)
        pending.extendleft(reversed(deferred))

    async def _process(self, item: Item) -> None:
        """One message in its own transaction: the per-message path."""
        try:
            if await self._processor.is_tracked(item.tracking):
                await self._ack(item.msg, "duplicate")
                return
            await self._processor.process(item.incoming, item.tracking)
        except Exception as exc:
            await self._settle(item, exc, in_batch=False)
        else:
            log.debug("consumer.processed", **item.context)
            await self._ack(item.msg, "processed")

    async def _settle(self, item: Item, failure: Exception, *, in_batch: bool) -> None:
        """A policy's failure, batched or alone, through the one failure table (`settlement`)."""
        action, reason = settlement(failure)
        if action is Settlement.DEAD_LETTER:
            await self._dead_letter(item.msg, reason)
        elif action is Settlement.RECHECK:
            if in_batch:  # its batch rolled back: alone, it finds its tracking row or commits
                await self._process(item)
            elif await self._processor.is_tracked(item.tracking):
                await self._ack(item.msg, "duplicate")
            else:
                await self._retry(item.msg, reason, item.context)
        else:
            if not isinstance(failure, RetryLater):
                log.error("consumer.process_failed", exc_info=failure, **item.context)
            await self._retry(item.msg, reason, item.context)
