"""What the dispatcher reads: a batch's notifications in one query, and each recorded sent on the
aggregate read then, unless the store moved on (issue 20). On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import OperationalError
from sportello_notify.adapters.dispatcher import Dispatcher
from sportello_notify.application import Accepted, NotifyApplication
from sportello_notify.domain import Notification, Status

from . import test_dispatcher as dispatching
from .conftest import SmtpServer, case_story
from .test_dispatcher import dispatch_all, received_story, settled_events

# the dispatcher's tests' fixtures: the same app, writer and dispatcher as a process builds them
clock, app, writer, dispatcher_for = (
    dispatching.clock,
    dispatching.app,
    dispatching.writer,
    dispatching.dispatcher_for,
)


class Reads:
    """Which aggregates the store was asked for, one at a time and in batches (the real
    recorder answers)."""

    def __init__(self, app: NotifyApplication, monkeypatch: pytest.MonkeyPatch) -> None:
        self.one_by_one: list[UUID] = []
        self.batches: list[list[UUID]] = []
        recorder = app.recorder
        select_events, select_events_of = recorder.select_events, recorder.select_events_of

        def one(originator_id: UUID, **kwargs: Any) -> Any:
            self.one_by_one.append(originator_id)
            return select_events(originator_id, **kwargs)

        def many(originator_ids: Sequence[UUID]) -> Any:
            self.batches.append(list(originator_ids))
            return select_events_of(originator_ids)

        monkeypatch.setattr(recorder, "select_events", one)
        monkeypatch.setattr(recorder, "select_events_of", many)


async def test_a_batch_is_read_in_one_query_and_recorded_sent_without_reading_it_again(
    app: NotifyApplication,
    dispatcher_for: Callable[[int], Dispatcher],
    mail_sink: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stories = [case_story(first_notification_id=10 * i) for i in range(1, 5)]
    for story in stories:
        for event in story.events:  # taken in charge and closed: two messages each
            app.process_incoming(event.incoming, event.tracking)
    ids = {n.id for story in stories for n in app.notifications_for(story.case_id)}
    assert len(ids) == 8
    reads = Reads(app, monkeypatch)

    await dispatch_all(dispatcher_for(mail_sink.port))

    assert len(mail_sink.mails()) == 8
    assert [i for i in reads.one_by_one if i in ids] == []
    assert [sorted(set(batch) & ids) for batch in reads.batches if set(batch) & ids] == [
        sorted(ids)
    ]
    for story in stories:
        assert [n.status for n in app.notifications_for(story.case_id)] == [Status.SENT] * 2
    assert len(settled_events(app)) == 8


def _one_requested(app: NotifyApplication) -> Notification:
    story = received_story(app, closed=False)
    (notification,) = app.notifications_for(story.case_id)
    (read,) = app.notifications([notification.id]).values()
    assert read.status is Status.REQUESTED
    return read


def test_a_notification_the_store_changed_since_the_read_is_read_again_then_marked(
    app: NotifyApplication,
) -> None:
    read = _one_requested(app)
    app.record_failed_attempt(read.id, "421 try again later", read.requested_at)  # a newer version

    (outcome,) = app.mark_all_sent([Accepted(read.id, "250 ok", read.requested_at, read)])

    assert isinstance(outcome, Notification)
    again = app.get_notification(read.id)
    assert (again.status, again.provider_reply) == (Status.SENT, "250 ok")
    assert [a.outcome for a in again.attempts] == ["temporary_failure", "accepted"]
    assert len(settled_events(app)) == 1


def test_a_retry_after_a_failed_commit_reads_the_notification_again(
    app: NotifyApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read aggregate was marked sent in memory by the try whose commit failed: the retry
    (the dispatcher's `_record`) must not mark it on that, nor refuse it as settled."""
    read = _one_requested(app)
    accepted = Accepted(read.id, "250 ok", read.requested_at, read)
    save = app.save

    def down(*_: object, **__: object) -> None:
        raise OperationalError("the store is restarting")

    monkeypatch.setattr(app, "save", down)
    with pytest.raises(OperationalError):
        app.mark_all_sent([accepted])
    assert read.status is Status.SENT  # in memory only
    monkeypatch.setattr(app, "save", save)

    (outcome,) = app.mark_all_sent([accepted])

    assert isinstance(outcome, Notification)
    assert app.get_notification(read.id).status is Status.SENT
    assert len(settled_events(app)) == 1
