"""End to end: a voicemail dropped in Torino's voicemail Maildir becomes a case whose 24-hour
callback clock (festivi and prefestivi excluded) runs from the message's own time; the same
message twice is one case; a citizen's e-mail reply lands on its case."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sportello_devstack import mail_corpus as corpus
from sportello_devstack.mailsink import read_mails
from sportello_devstack.stack import Stack
from sportello_devstack.testing import eventually_sync as eventually

pytestmark = pytest.mark.e2e
ROME = ZoneInfo("Europe/Rome")
CITIZEN = "giulia.bianchi@example.org"  # mail_corpus.citizen_mail's sender


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack.on_free_ports(
        tmp_path_factory.mktemp("stack"), extra_env={"RELAY_POLL_INTERVAL": "0.05"}
    ).start()
    yield running
    running.stop()


def drop(stack: Stack, box: str, name: str, raw: bytes) -> None:
    maildir = stack.data_dir / "inbox" / "torino" / box
    (maildir / "tmp" / name).write_bytes(raw)
    (maildir / "tmp" / name).rename(maildir / "new" / name)


def torino_cases(stack: Stack) -> list[dict[str, Any]]:
    page = httpx.get(f"{stack.url('intake')}/cases", params={"tenant": "torino"}, timeout=10)
    return [
        httpx.get(f"{stack.url('intake')}/cases/{row['case_id']}", timeout=10).json()
        for row in page.json()["items"]
    ]


def last_friday_evening() -> datetime:
    """Friday 16:30 in Torino, within the last week: out of hours before a prefestivo."""
    now = datetime.now(ROME)
    day = now - timedelta(days=(now.weekday() - 4) % 7)
    friday = day.replace(hour=16, minute=30, second=0, microsecond=0)
    return friday if friday < now else friday - timedelta(days=7)


def test_a_voicemail_starts_the_callback_clock_at_its_own_time(stack: Stack) -> None:
    left_at = last_friday_evening()
    voicemail = corpus.asterisk_voicemail("3471234567", "Franca Gialli", left_at)
    drop(stack, "voicemail", "1767000000.M1P1.pbx", voicemail)
    [case] = eventually(lambda: torino_cases(stack), timeout=10)  # "in seconds"
    assert case["channel"] == "voicemail"
    assert datetime.fromisoformat(case["received_at"]) == left_at

    def callback_clock() -> dict[str, Any] | None:
        clocks = httpx.get(f"{stack.url('sla')}/cases/{case['case_id']}/clocks", timeout=10)
        found = [c for c in clocks.json() if c["standard"] == "voicemail_callback_24h"]
        return found[0] if found else None

    clock = eventually(callback_clock)
    assert datetime.fromisoformat(clock["started_at"]) == left_at
    expected = httpx.post(
        f"{stack.url('sla')}/deadlines/compute",
        json={
            "tenant": "torino",
            "standard": "voicemail_callback_24h",
            "start": left_at.isoformat(),
        },
        timeout=10,
    ).json()
    assert clock["deadline"] == expected["deadline"]
    # Saturday is prefestivo, Sunday festivo: the 24 hours do not run through the weekend
    assert datetime.fromisoformat(clock["deadline"]) - left_at > timedelta(hours=24)

    drop(stack, "voicemail", "1767000001.M2P1.pbx", voicemail)  # the PBX sent it twice
    cur = stack.data_dir / "inbox" / "torino" / "voicemail" / "cur"
    eventually(lambda: len(list(cur.iterdir())) == 2)
    assert len(torino_cases(stack)) == 1

    # with the Contact Center (the triage) until the call-taker, having called back, says what
    # it is about: routing then sends it to the competent Reparto
    def with_organization(organization: str) -> dict[str, Any] | None:
        now = httpx.get(f"{stack.url('intake')}/cases/{case['case_id']}", timeout=10).json()
        return now if now["organization"] == organization else None

    eventually(lambda: with_organization("contact-center"))
    classified = httpx.post(
        f"{stack.url('intake')}/cases/{case['case_id']}/classify",
        json={
            "category": "convivenza_civile",
            "citizen": {"email": "franca.gialli@example.org"},
        },
        timeout=10,
    )
    assert classified.status_code == 200, classified.text

    # Torino is triage-first: the Contact Center keeps it, takes it in charge, forwards it
    def classified_and_routed() -> dict[str, Any] | None:
        now = with_organization("contact-center")
        events = [e["event"] for e in now["timeline"]] if now else []
        return now if events[-2:] == ["classified", "assigned"] else None

    routed = eventually(classified_and_routed, timeout=20)
    assert routed["status"] == "assigned" and routed["category"] == "convivenza_civile"
    assert routed["citizen"]["email"] == "franca.gialli@example.org"
    for command, body in (("take-in-charge", {"operator": "cc"}), ("forward", {})):
        response = httpx.post(
            f"{stack.url('intake')}/cases/{case['case_id']}/{command}", json=body, timeout=10
        )
        assert response.status_code == 200, response.text
    assert eventually(lambda: with_organization("pm-reparto-2"), timeout=20)["status"] == (
        "forwarded"
    )

    # the callback promise still runs from the message's own time, now the Reparto's
    def moved_clock() -> dict[str, Any] | None:
        now = callback_clock()
        return now if now and now["organization"] == "pm-reparto-2" else None

    moved = eventually(moved_clock)
    assert datetime.fromisoformat(moved["started_at"]) == left_at
    assert moved["deadline"] == clock["deadline"]


def test_a_citizens_reply_lands_on_the_case(stack: Stack) -> None:
    sent = datetime.now(UTC) - timedelta(minutes=5)
    first = corpus.citizen_mail(message_id="<e2e-first@example.org>", at=sent)
    drop(stack, "email", "mail-1", first)
    case = eventually(
        lambda: next((c for c in torino_cases(stack) if c["channel"] == "email"), None)
    )
    reply = corpus.citizen_mail(
        subject=f"Re: {case['reference']}",
        text="Il lampione è di nuovo spento.\n\n> testo citato\n",
        message_id="<e2e-second@example.org>",
        in_reply_to="<e2e-first@example.org>",
    )
    drop(stack, "email", "mail-2", reply)

    def replied() -> dict[str, Any] | None:
        now = httpx.get(f"{stack.url('intake')}/cases/{case['case_id']}", timeout=10).json()
        wrote = [e for e in now["timeline"] if e["event"] == "citizen_wrote"]
        return wrote[0] if wrote else None

    assert eventually(replied)["text"] == "Il lampione è di nuovo spento."
    assert len([c for c in torino_cases(stack) if c["channel"] == "email"]) == 1

    # the acknowledgment answers the citizen's own message, by the channel they wrote on
    def acknowledgment() -> Message | None:
        mails = [m for m in read_mails(stack.mail_dir) if CITIZEN in (m["To"] or "")]
        return next((m for m in mails if case["reference"] in str(m["Subject"])), None)

    ack = eventually(acknowledgment, timeout=20)
    assert ack["In-Reply-To"] == "<e2e-first@example.org>"
    assert ack["References"] == "<e2e-first@example.org>"


def test_the_maildirs_exist_from_the_start(stack: Stack) -> None:
    for box in ("voicemail", "email", "fax"):
        for sub in ("new", "cur", "tmp"):
            assert (Path(stack.data_dir) / "inbox" / "torino" / box / sub).is_dir()
