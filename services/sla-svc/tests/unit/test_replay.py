"""A replay of the log into a fresh store reproduces the live state's digest."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from uuid import uuid4

import pytest
from sportello_contracts import EventPayload
from sportello_contracts import cases as c
from sportello_contracts.notifications import NotificationSent, SurveyAnswered
from sportello_sla.application import SlaApplication
from sportello_sla.domain import ClockStatus
from sportello_sla.replay import Replayer

from .conftest import CATALOGUE, assigned, incoming, lifecycle, process, received, rome

NOW = rome(2026, 9, 1, 10)
LATER = rome(2026, 12, 1, 10)


def history() -> tuple[list[tuple[str, EventPayload]], list[tuple[str, EventPayload]]]:
    """(CASES, NOTIFICATIONS) for a few cases of different tenants."""
    torino, pisa, rescaldina = str(uuid4()), str(uuid4()), str(uuid4())
    cases: list[tuple[str, EventPayload]] = [
        ("torino", received(torino, NOW, kind="reclamo", channel="voicemail")),
        ("pisa", received(pisa, NOW)),
        ("rescaldina", received(rescaldina, NOW)),
        ("torino", assigned(torino, NOW + timedelta(hours=1), "pm-reparto-6")),
        (
            "torino",
            lifecycle(c.CaseCitizenContacted, torino, NOW + timedelta(days=3), means="phone"),
        ),
        ("pisa", lifecycle(c.CaseWaitingForCitizen, pisa, NOW + timedelta(days=2), request="?")),
        ("pisa", lifecycle(c.CaseResumed, pisa, NOW + timedelta(days=5))),
        ("pisa", lifecycle(c.CaseClosed, pisa, NOW + timedelta(days=20), outcome="ok")),
        ("pisa", lifecycle(c.CaseReopened, pisa, NOW + timedelta(days=21), reason="x")),
    ]
    notifications: list[tuple[str, EventPayload]] = [
        (
            "torino",
            NotificationSent(
                notification_id="n",
                case_id=torino,
                template="taken_in_charge",
                channel="email",
                at=NOW + timedelta(hours=2),
            ),
        ),
        ("pisa", SurveyAnswered(case_id=pisa, rating=5, at=NOW + timedelta(days=20))),
    ]
    return cases, notifications


def test_replaying_the_streams_gives_the_live_digest_whatever_the_live_order() -> None:
    cases, notifications = history()
    live = SlaApplication(CATALOGUE)
    # Live, the notifications consumer lagged: the taking-in-charge mail came after the contact,
    # and the sweep breached what was overdue in between.
    for tenant, payload in cases[:4]:
        process(live, tenant, payload)
    live.sweep(LATER)
    for tenant, payload in cases[4:] + notifications:
        process(live, tenant, payload)
    live.sweep(LATER)

    replayer = Replayer(CATALOGUE)
    replayer.feed("CASES", [incoming(p, t).envelope.to_bytes() for t, p in cases])
    replayer.feed("NOTIFICATIONS", [incoming(p, t).envelope.to_bytes() for t, p in notifications])
    result = replayer.finish(LATER)

    assert result.events == len(cases) + len(notifications)
    assert result.per_stream == {"CASES": len(cases), "NOTIFICATIONS": len(notifications)}
    assert result.clocks == len(live.board.rows()) == 6
    assert result.digest == live.board.digest(LATER)
    assert result.skipped == result.deferred_unresolved == 0


def test_the_digest_changes_when_the_state_does() -> None:
    cases, _ = history()
    live = SlaApplication(CATALOGUE)
    for tenant, payload in cases[:-1]:
        process(live, tenant, payload)
    before = live.board.digest(LATER)
    process(live, *cases[-1])
    assert live.board.digest(LATER) != before


def test_what_cannot_be_read_is_skipped_and_what_never_found_its_case_is_counted() -> None:
    replayer = Replayer(CATALOGUE)
    orphan = lifecycle(c.CaseClosed, str(uuid4()), NOW, outcome="ok")
    replayer.feed("CASES", [b"not json", incoming(orphan, "pisa").envelope.to_bytes()])
    result = replayer.finish(LATER)
    assert (result.events, result.skipped, result.deferred_unresolved) == (2, 1, 1)


def random_history(
    rng: random.Random, cases: int
) -> tuple[list[tuple[str, EventPayload]], list[tuple[str, EventPayload]]]:
    """Whole lifecycles of every tenant, with suspensions, reopenings, rejections, mails and
    ratings, interleaved by time as the streams hold them (each case's own events in order)."""
    tenants = {"torino": "pm-reparto-1", "pisa": "pisamo", "rescaldina": "urp", "marcallo": "urp"}
    timeline: list[tuple[datetime, int, str, str, EventPayload]] = []
    for n in range(cases):
        tenant = rng.choice(list(tenants))
        case_id = str(uuid4())
        at = NOW + timedelta(hours=rng.randrange(0, 24 * 60))
        channel = rng.choice(("phone", "voicemail", "email", "web"))
        kind = rng.choice(("segnalazione", "reclamo"))
        steps: list[tuple[str, EventPayload]] = [
            ("c", received(case_id, at, kind=kind, channel=channel))
        ]
        clock = at
        for name in rng.sample(("assign", "contact", "wait", "mail"), k=rng.randrange(0, 5)):
            clock += timedelta(hours=rng.randrange(1, 24 * 12))
            if name == "assign":
                steps.append(("c", assigned(case_id, clock, tenants[tenant])))
            elif name == "contact":
                steps.append(("c", lifecycle(c.CaseCitizenContacted, case_id, clock, means="x")))
            elif name == "wait":
                steps.append(("c", lifecycle(c.CaseWaitingForCitizen, case_id, clock, request="?")))
                clock += timedelta(days=rng.randrange(1, 40))
                steps.append(("c", lifecycle(c.CaseResumed, case_id, clock)))
            else:
                template = rng.choice(("taken_in_charge", "received"))
                sent = NotificationSent(
                    notification_id=f"n{n}",
                    case_id=case_id,
                    template=template,
                    channel="email",
                    at=clock,
                )
                steps.append(("n", sent))
        end = rng.random()
        clock += timedelta(days=rng.randrange(1, 45))
        if end < 0.1:
            steps.append(("c", lifecycle(c.CaseRejected, case_id, clock, reason="x")))
        elif end < 0.8:
            steps.append(("c", lifecycle(c.CaseResolved, case_id, clock, outcome="ok")))
            steps.append(("c", lifecycle(c.CaseClosed, case_id, clock, outcome="ok")))
            if rng.random() < 0.3:
                reopened = clock + timedelta(days=2)
                steps.append(("c", lifecycle(c.CaseReopened, case_id, reopened, reason="x")))
            if rng.random() < 0.4:
                rating = SurveyAnswered(case_id=case_id, rating=rng.randrange(1, 6), at=clock)
                steps.append(("n", rating))
        for order, (stream, payload) in enumerate(steps):
            occurred = getattr(payload, "occurred_at", None) or getattr(payload, "at", None)
            assert isinstance(occurred, datetime)
            timeline.append((occurred, order, stream, tenant, payload))
    timeline.sort(key=lambda entry: (entry[0], entry[1]))
    cases_stream = [(t, p) for _, _, s, t, p in timeline if s == "c"]
    notifications = [(t, p) for _, _, s, t, p in timeline if s == "n"]
    return cases_stream, notifications


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_many_lifecycles_replay_to_the_digest_of_the_live_application(seed: int) -> None:
    """The replay's in-memory path against the live path (records, tracking rows, the board
    reading its log), sweeping as it goes, on the same messages."""
    cases, notifications = random_history(random.Random(seed), 120)
    live = SlaApplication(CATALOGUE)
    for step, (tenant, payload) in enumerate(cases + notifications):
        process(live, tenant, payload)
        if step % 50 == 0:
            live.sweep(NOW + timedelta(days=step // 10))
    live.sweep(LATER)

    replayer = Replayer(CATALOGUE)
    for stream, history_part in (("CASES", cases), ("NOTIFICATIONS", notifications)):
        raw = [incoming(p, t).envelope.to_bytes() for t, p in history_part]
        for start in range(0, len(raw), 37):  # as the reader hands them over: in batches
            replayer.feed(stream, raw[start : start + 37])
    result = replayer.finish(LATER)

    assert result.clocks == len(live.board.rows()) > 120
    assert result.digest == live.board.digest(LATER)
    statuses = {row.status_at(LATER) for row in live.board.rows()}
    assert {ClockStatus.MET, ClockStatus.BREACHED} <= statuses  # not a trivial history
    assert result.skipped == result.deferred_unresolved == 0


def test_a_replay_keeps_no_due_queue_and_records_nothing() -> None:
    cases, _ = history()
    replayer = Replayer(CATALOGUE)
    replayer.feed("CASES", [incoming(p, t).envelope.to_bytes() for t, p in cases])
    assert replayer.app.board.next_due() is None
    assert replayer.app.recorder.max_notification_id() in (None, 0)
    assert replayer.finish(LATER).clocks == 6
