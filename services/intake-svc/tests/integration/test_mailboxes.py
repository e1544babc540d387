"""Mailboxes taken in by the live intake app: local Maildirs, and a real IMAP server (Dovecot on
a free port, TLS, a store of its own). Each message one case, replies on their case, the
unreadable quarantined with the reason and counted."""

from __future__ import annotations

import asyncio
import json
import shutil
import ssl
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
import yaml
from imap_tools import MailBox
from prometheus_client import REGISTRY
from sportello_contracts.personal import PersonalRequest
from sportello_devstack import mail_corpus as corpus
from sportello_devstack.dovecot import Dovecot
from sportello_intake.mailbox.config import load_mailboxes
from sportello_intake.main import IntakeSettings

from .conftest import ROOT, client_of, eventually, settings_for
from .test_lifecycle_and_search import assign

TENANTS = ROOT / "deploy" / "tenants"


def drop(inbox: Path, tenant: str, mailbox: str, name: str, raw: bytes) -> None:
    """As a delivery agent does: written in tmp/, renamed into new/."""
    box = inbox / tenant / mailbox
    (box / "tmp" / name).write_bytes(raw)
    (box / "tmp" / name).rename(box / "new" / name)


async def cases_of(client: httpx.AsyncClient, tenant: str) -> list[dict[str, Any]]:
    listing = await client.get("/cases", params={"tenant": tenant, "limit": 200})
    if listing.status_code == 503:  # the store busy with a 30 MB message: asked again
        return []
    assert listing.status_code == 200, listing.text
    return [
        (await client.get(f"/cases/{row['case_id']}")).json() for row in listing.json()["items"]
    ]


def quarantined(tenant: str, mailbox: str, reason: str) -> float:
    labels = {"tenant": tenant, "mailbox": mailbox, "reason": reason}
    return REGISTRY.get_sample_value("sportello_mailbox_quarantined_total", labels) or 0.0


@pytest.fixture
async def maildir(
    store: dict[str, str], nats_url: str, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, Path]]:
    inbox = tmp_path / "inbox"
    settings = settings_for(
        store,
        nats_url,
        MAILBOX_SOURCE="maildir",
        INBOX_DIR=str(inbox),
        ATTACHMENT_DIR=str(tmp_path / "attachments"),
    )
    every = [
        inbox / tenant.tenant / mailbox.id / sub
        for tenant in load_mailboxes(TENANTS)
        for mailbox in tenant.mailboxes
        for sub in ("tmp", "new", "cur")
    ]
    async with client_of(settings) as client:
        # each mailbox is opened by its own reader (under its own lease): wait for all of them
        await eventually(lambda: all(path.is_dir() for path in every))
        yield client, inbox


async def test_a_voicemail_becomes_one_case_at_the_message_time(
    maildir: tuple[httpx.AsyncClient, Path], tmp_path: Path
) -> None:
    client, inbox = maildir
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    message = corpus.asterisk_voicemail("3331234567", "Mario Rossi", at)
    drop(inbox, "torino", "voicemail", "1700000000.M1P1.pbx", message)

    [case] = await eventually(lambda: cases_of(client, "torino"))
    assert case["channel"] == "voicemail" and case["category"] == "da_classificare"
    assert datetime.fromisoformat(case["received_at"]) == at  # the clock's start: the message
    assert case["citizen"] == {"name": "Mario Rossi", "phone": "3331234567", "language": "it"}
    assert case["description"].startswith("[PBX]: New message 1 in mailbox 100")
    [recording] = case["attachments"]
    digest = recording["uri"].rsplit(":", 1)[1]
    assert (tmp_path / "attachments" / digest[:2] / digest).read_bytes()[:4] == b"RIFF"
    cur = inbox / "torino" / "voicemail" / "cur"
    await eventually(lambda: [p.name for p in cur.iterdir()] == ["1700000000.M1P1.pbx:2,S"])

    # the same message delivered again (another file name): the same case
    drop(inbox, "torino", "voicemail", "1700000001.M2P1.pbx", message)
    await eventually(lambda: len(list(cur.iterdir())) == 2)
    assert len(await cases_of(client, "torino")) == 1


async def test_the_corpus_through_the_maildirs(maildir: tuple[httpx.AsyncClient, Path]) -> None:
    client, inbox = maildir
    before = quarantined("torino", "email", "malformed")
    drop(inbox, "torino", "fax", "a", corpus.fax("011 7654321"))
    drop(inbox, "casale-monferrato", "pec", "b", corpus.pec_envelope())
    drop(inbox, "casale-monferrato", "pec", "c", corpus.pec_envelope(kind="accettazione"))
    html = "<p>Buca in <b>corso Francia</b> 10</p>"
    drop(inbox, "torino", "email", "d", corpus.citizen_mail(text="", html=html))
    drop(inbox, "torino", "email", "e", corpus.wrong_encoding())
    big = [("foto.png", "image/png", b"\x89PNG" + bytes(30 * 1024 * 1024))]
    drop(inbox, "torino", "email", "f", corpus.citizen_mail(subject="Foto", attachments=big))
    drop(inbox, "torino", "email", "g", corpus.malformed())

    torino = await eventually(lambda: _when_count(cases_of(client, "torino"), 4), timeout=30)
    by_channel = {c["description"].split("\n")[0]: c for c in torino}
    assert by_channel["Fax ricevuto da 011 7654321 (2 pagine)"]["citizen"]["phone"] == "011 7654321"
    assert "Buca in corso Francia 10" in by_channel["Lampione spento in via Po"]["description"]
    assert "c'è musica" in by_channel["Rumori notturni in piazza"]["description"]
    [refused] = by_channel["Foto"]["attachments"]
    assert refused["refused"].startswith("supera il limite di 20 MB")
    [pec] = await eventually(lambda: cases_of(client, "casale-monferrato"))
    assert pec["channel"] == "pec" and pec["citizen"]["email"] == "mario.rossi@pec.example.it"
    assert datetime.fromisoformat(pec["received_at"]) == datetime(2026, 1, 5, 9, 30, tzinfo=UTC)

    quarantine = inbox / "torino" / "email" / "quarantine"
    await eventually(lambda: (quarantine / "g.reason").exists())
    assert "intestazione" in (quarantine / "g.reason").read_text()
    assert (quarantine / "g").read_bytes() == corpus.malformed()
    assert quarantined("torino", "email", "malformed") == before + 1
    metrics = (await client.get("/metrics")).text
    assert (
        'sportello_mailbox_quarantined_total{mailbox="email",reason="malformed",tenant="torino"}'
        in metrics
    )
    receipts = inbox / "casale-monferrato" / "pec" / "cur"
    await eventually(lambda: len(list(receipts.iterdir())) == 2)  # the receipt: taken, no case


async def _when_count(cases: Any, count: int) -> list[dict[str, Any]] | None:
    found: list[dict[str, Any]] = await cases
    return found if len(found) == count else None


async def test_a_reply_lands_on_its_case(maildir: tuple[httpx.AsyncClient, Path]) -> None:
    client, inbox = maildir
    first = corpus.citizen_mail(message_id="<first@example.org>")
    drop(inbox, "torino", "email", "1", first)
    [case] = await eventually(lambda: cases_of(client, "torino"))

    reply = corpus.citizen_mail(
        subject="Re: Lampione spento in via Po",
        text="È ancora spento.\n\n> Buongiorno,\n> il lampione...\n",
        message_id="<second@example.org>",
        in_reply_to="<first@example.org>",
    )
    drop(inbox, "torino", "email", "2", reply)
    by_reference = corpus.citizen_mail(
        subject=f"Re: Comune di Torino - La sua segnalazione {case['reference']} è stata ricevuta",
        text="Aggiungo una foto.",
        message_id="<third@example.org>",
        attachments=[("buio.jpg", "image/jpeg", b"\xff\xd8\xff\xe0jpeg")],
    )
    drop(inbox, "torino", "email", "3", by_reference)
    drop(inbox, "torino", "email", "4", reply)  # delivered twice

    def written(c: dict[str, Any]) -> list[dict[str, Any]]:
        return [e for e in c["timeline"] if e["event"] == "citizen_wrote"]

    async def both() -> dict[str, Any] | None:
        now = (await client.get(f"/cases/{case['case_id']}")).json()
        return now if len(written(now)) == 2 else None

    updated = await eventually(both)
    cur = inbox / "torino" / "email" / "cur"
    await eventually(lambda: len(list(cur.iterdir())) == 4)
    assert [e["text"] for e in written(updated)] == ["È ancora spento.", "Aggiungo una foto."]
    assert [a["name"] for a in updated["attachments"]] == ["buio.jpg"]
    assert len(await cases_of(client, "torino")) == 1

    stranger = corpus.citizen_mail(
        sender="altro@example.org", subject=f"Re: {case['reference']}", message_id="<x@y>"
    )
    drop(inbox, "torino", "email", "5", stranger)  # someone else quoting the reference: a case
    await eventually(lambda: _when_count(cases_of(client, "torino"), 2))


async def test_a_reply_to_a_case_waiting_for_the_citizen_resumes_it(
    maildir: tuple[httpx.AsyncClient, Path], nats_url: str
) -> None:
    """The office asked the citizen for a photo; their e-mail answer is on the file and the case
    resumes at the answer's time (the clocks' pause ends there), by the mailbox, not a person."""
    client, inbox = maildir
    drop(inbox, "torino", "email", "1", corpus.citizen_mail(message_id="<ask.1@example.org>"))
    [case] = await eventually(lambda: cases_of(client, "torino"))
    await assign(nats_url, case, "pm-reparto-5", 1)

    async def assigned() -> bool:
        return bool((await client.get(f"/cases/{case['case_id']}")).json()["status"] == "assigned")

    await eventually(assigned)
    steps = (("take-in-charge", {"operator": "anna"}), ("wait-for-citizen", {"request": "foto"}))
    for step, body in steps:
        done = await client.post(f"/cases/{case['case_id']}/{step}", json=body)
        assert done.status_code == 200, done.text
    await asyncio.sleep(1.1)  # a Date has whole seconds: the answer comes after the request
    answered_at = datetime.now(UTC).replace(microsecond=0)
    answer = corpus.citizen_mail(
        subject="Re: Lampione spento in via Po",
        text="Ecco la foto.",
        at=answered_at,
        message_id="<ask.2@example.org>",
        in_reply_to="<ask.1@example.org>",
        attachments=[("lampione.jpg", "image/jpeg", b"\xff\xd8\xff\xe0jpeg")],
    )
    drop(inbox, "torino", "email", "2", answer)

    async def resumed() -> dict[str, Any] | None:
        now = (await client.get(f"/cases/{case['case_id']}")).json()
        return now if now["status"] == "taken_in_charge" else None

    view = await eventually(resumed)
    *_, wrote, resumed_entry = view["timeline"]
    assert (wrote["event"], wrote["text"]) == ("citizen_wrote", "Ecco la foto.")
    assert resumed_entry["event"] == "resumed"
    assert resumed_entry["actor"] == "mailbox:torino/email"
    assert datetime.fromisoformat(resumed_entry["occurred_at"]) == answered_at


async def ask_personal(nats_url: str, requester: str, case_id: str) -> dict[str, Any]:
    """As notify (or routing) asks intake over NATS request/reply."""
    nc = await nats.connect(servers=[nats_url])
    try:
        request = PersonalRequest(case_id=case_id).model_dump_json().encode()
        reply = await nc.request(f"personal.torino.{requester}", request, timeout=10)
    finally:
        await nc.close()
    answer: dict[str, Any] = json.loads(reply.data)
    return answer


async def test_notify_is_told_which_message_to_answer(
    maildir: tuple[httpx.AsyncClient, Path], nats_url: str
) -> None:
    """The Message-ID of the citizen's e-mail stays with the case's personal data: notify asks
    for it (its mails answer it); routing is not told, and a voicemail has nothing to answer."""
    client, inbox = maildir
    drop(inbox, "torino", "email", "1", corpus.citizen_mail(message_id="<orig.7@example.org>"))
    drop(inbox, "torino", "voicemail", "2", corpus.asterisk_voicemail("3331112222", "Ada Blu"))
    cases = await eventually(lambda: _when_count(cases_of(client, "torino"), 2))
    by_channel = {c["channel"]: c for c in cases}

    mailed = await ask_personal(nats_url, "notify", by_channel["email"]["case_id"])
    assert mailed["in_reply_to"] == "<orig.7@example.org>"
    assert mailed["citizen"]["email"] == "giulia.bianchi@example.org"
    routing = await ask_personal(nats_url, "routing", by_channel["email"]["case_id"])
    assert "in_reply_to" not in routing
    called = await ask_personal(nats_url, "notify", by_channel["voicemail"]["case_id"])
    assert "in_reply_to" not in called and called["citizen"]["phone"] == "3331112222"


# --- a real IMAP server ----------------------------------------------------------------------


@pytest.fixture
def dovecot(tmp_path: Path) -> Iterator[Dovecot]:
    if shutil.which("dovecot") is None and not Path("/usr/sbin/dovecot").exists():
        pytest.fail("dovecot is not installed: apt-get install dovecot-imapd (see .ci/run)")
    with Dovecot(tmp_path / "dovecot", {"segreteria@torino": "s3greta"}) as server:
        yield server


def imap_tenants(tmp_path: Path, server: Dovecot) -> Path:
    """deploy/tenants as it is, with Torino's voicemail box on the test's Dovecot."""
    tenants = tmp_path / "tenants"
    shutil.copytree(TENANTS, tenants)
    document = {
        "tenant": "torino",
        "mailboxes": [
            {
                "id": "voicemail",
                "channel": "voicemail",
                "imap": {
                    "host": "127.0.0.1",
                    "port": server.port,
                    "username": "segreteria@torino",
                    "password_env": "TEST_MAILBOX_PASSWORD",
                    "ca_file": str(server.ca_file),
                    "processed_folder": "Registrate",
                    "quarantine_folder": "Quarantena",
                    "idle_seconds": 5,
                },
            }
        ],
    }
    (tenants / "torino" / "mailboxes.yaml").write_text(yaml.safe_dump(document))
    for other in ("casale-monferrato", "pisa"):
        (tenants / other / "mailboxes.yaml").unlink()
    return tenants


async def test_imap_with_tls_and_idle(
    store: dict[str, str],
    nats_url: str,
    tmp_path: Path,
    dovecot: Dovecot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEST_MAILBOX_PASSWORD", "s3greta")
    context = ssl.create_default_context(cafile=str(dovecot.ca_file))
    box = MailBox("127.0.0.1", dovecot.port, ssl_context=context)
    box.login("segreteria@torino", "s3greta")
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    voicemail = corpus.asterisk_voicemail("3339876543", "Lucia Verdi", at)
    box.append(voicemail, "INBOX")  # waiting before intake starts
    settings = IntakeSettings(
        NATS_URL=nats_url,
        SPORTELLO_TENANTS_DIR=str(imap_tenants(tmp_path, dovecot)),
        RELAY_POLL_INTERVAL=0.05,
        MAILBOX_SOURCE="imap",
        ATTACHMENT_DIR=str(tmp_path / "attachments"),
        **store,
    )  # type: ignore[call-arg]
    async with client_of(settings) as client:
        [case] = await eventually(lambda: cases_of(client, "torino"))
        assert datetime.fromisoformat(case["received_at"]) == at
        assert case["citizen"]["phone"] == "3339876543"
        # delivered while intake idles: IDLE announces it; a duplicate and a broken one too
        box.append(corpus.asterisk_voicemail("3335550000", "Ugo Neri"), "INBOX")
        box.append(voicemail, "INBOX")
        box.append(corpus.malformed(), "INBOX")
        await eventually(lambda: _when_count(cases_of(client, "torino"), 2))

        def folders() -> dict[str, int]:
            counts = {}
            for folder in ("INBOX", "Registrate", "Quarantena"):
                box.folder.set(folder)
                counts[folder] = len(box.uids())
            return counts

        await eventually(lambda: folders() == {"INBOX": 0, "Registrate": 3, "Quarantena": 1})
        assert len(await cases_of(client, "torino")) == 2
    box.logout()
