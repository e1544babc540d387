"""A replay of the log into a fresh store reproduces the live state's digest."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from sportello_shared.contracts import EventPayload
from sportello_shared.contracts import cases as c
from sportello_shared.contracts.notifications import NotificationSent, SurveyAnswered
from sportello_sla.application import SlaApplication
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
