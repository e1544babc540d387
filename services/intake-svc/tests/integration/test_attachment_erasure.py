"""A mailed attachment goes with its citizen: once every case referencing the file has had its
citizen erased, the file is deleted from the attachment store; a file another live case
references stays. Maildir, the live intake app, a real NATS; SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sportello_devstack import mail_corpus as corpus
from sportello_intake.mailbox.config import load_mailboxes

from .conftest import client_of, eventually, settings_for
from .test_erasure import close
from .test_mailboxes import TENANTS, cases_of, drop

SHARED = ("foto.jpg", "image/jpeg", b"\xff\xd8\xff\xe0 la stessa foto di via Po" * 100)
OWN = ("pianta.pdf", "application/pdf", b"%PDF-1.4 solo di Giulia" * 100)


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
        ATTACHMENT_REAP_INTERVAL=0.2,
    )
    every = [
        inbox / tenant.tenant / mailbox.id / sub
        for tenant in load_mailboxes(TENANTS)
        for mailbox in tenant.mailboxes
        for sub in ("tmp", "new", "cur")
    ]
    async with client_of(settings) as client:
        await eventually(lambda: all(path.is_dir() for path in every))
        yield client, inbox


def stored(tmp_path: Path, case: dict[str, Any], name: str) -> Path:
    [entry] = [a for a in case["attachments"] if a["name"] == name]
    digest = str(entry["uri"]).rsplit(":", 1)[1]
    return tmp_path / "attachments" / digest[:2] / digest


async def test_attachments_are_deleted_with_the_last_citizen_referencing_them(
    maildir: tuple[httpx.AsyncClient, Path], nats_url: str, tmp_path: Path
) -> None:
    client, inbox = maildir
    giulia = corpus.citizen_mail(message_id="<a1@example.org>", attachments=[SHARED, OWN])
    marco = corpus.citizen_mail(
        sender="Marco Neri <marco.neri@example.org>",
        subject="Anche io: lampione spento",
        message_id="<b2@example.org>",
        attachments=[SHARED],
    )
    drop(inbox, "torino", "email", "a", giulia)
    drop(inbox, "torino", "email", "b", marco)

    async def both() -> list[dict[str, Any]] | None:
        found = await cases_of(client, "torino")
        return found if len(found) == 2 else None

    cases = {c["citizen"]["email"]: c for c in await eventually(both, timeout=30)}
    of_giulia, of_marco = cases["giulia.bianchi@example.org"], cases["marco.neri@example.org"]
    shared, own = stored(tmp_path, of_giulia, "foto.jpg"), stored(tmp_path, of_giulia, "pianta.pdf")
    assert stored(tmp_path, of_marco, "foto.jpg") == shared  # one file for both
    assert shared.read_bytes() == SHARED[2] and own.read_bytes() == OWN[2]

    await close(client, nats_url, of_giulia, 1)
    erased = await client.post("/admin/erasures", json={"email": "giulia.bianchi@example.org"})
    assert erased.status_code == 201, erased.text
    await eventually(lambda: not own.exists())
    refs = tmp_path / "attachments" / "refs" / shared.name
    # the reaper goes file by file: Giulia's reference to the shared one goes in the same pass
    await eventually(lambda: [r.name for r in refs.iterdir()] == [of_marco["case_id"]])
    assert shared.read_bytes() == SHARED[2]  # Marco's case, still open, references it
    assert not (tmp_path / "attachments" / "refs" / own.name).exists()

    await close(client, nats_url, of_marco, 2)
    erased = await client.post("/admin/erasures", json={"email": "marco.neri@example.org"})
    assert erased.status_code == 201, erased.text
    await eventually(lambda: not shared.exists())
    # the file goes first, then its references' folder (a crash between leaves the folder for
    # the next pass, never a file nobody references): the reaper's thread may be between the two
    await eventually(lambda: not refs.exists())
    view = (await client.get(f"/cases/{of_marco['case_id']}")).json()
    assert view["status"] == "closed"  # the facts stay
