"""Where messages wait: a local Maildir (`make run`, a server's delivery agent) or an IMAP
mailbox (production: TLS, IDLE). A message leaves the queue (`done`) only after what it made
was committed; one that cannot be read goes to a quarantine with its reason."""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import os
import re
import ssl
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from imap_tools import BaseMailBox, MailBox, MailBoxStartTls

from .config import ImapAccount, Mailbox

T = TypeVar("T")
DONE_KEYWORD = "$SportelloRegistrato"
SUBDIRS = ("new", "cur", "tmp")


class TooLarge(Exception):
    """The server says the message is over the mailbox's bound: not fetched."""


class Source(Protocol):
    name: str

    async def open(self) -> None: ...
    async def pending(self) -> list[str]: ...
    async def read(self, handle: str, max_bytes: int) -> tuple[bytes, datetime]: ...
    async def done(self, handle: str) -> None: ...
    async def quarantine(self, handle: str, reason: str) -> None: ...
    async def wait(self, stop: asyncio.Event) -> None: ...
    async def close(self) -> None: ...


class MaildirSource:
    """`<root>/new` is read; taken-in messages go to `cur/`, unreadable ones to `quarantine/`
    with a `<name>.reason` beside each."""

    def __init__(self, root: Path, poll_s: float = 0.5) -> None:
        self.root = root
        self.name = str(root)
        self.poll_s = poll_s

    async def open(self) -> None:
        for sub in (*SUBDIRS, "quarantine"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    async def pending(self) -> list[str]:
        new = self.root / "new"
        return sorted(n for n in os.listdir(new) if not n.startswith(".") and (new / n).is_file())

    async def read(self, handle: str, max_bytes: int) -> tuple[bytes, datetime]:
        path = self.root / "new" / handle
        stat = path.stat()
        if stat.st_size > max_bytes:
            raise TooLarge(f"{stat.st_size} bytes")
        return path.read_bytes(), datetime.fromtimestamp(stat.st_mtime, UTC)

    async def done(self, handle: str) -> None:
        info = "" if ":2," in handle else ":2,S"  # Maildir: seen
        os.replace(self.root / "new" / handle, self.root / "cur" / f"{handle}{info}")

    async def quarantine(self, handle: str, reason: str) -> None:
        kept = self.root / "quarantine" / handle
        (kept.parent / f"{handle}.reason").write_text(reason + "\n", encoding="utf-8")
        os.replace(self.root / "new" / handle, kept)

    async def wait(self, stop: asyncio.Event) -> None:
        deadline = time.monotonic() + 30
        while not stop.is_set() and time.monotonic() < deadline:
            if await self.pending():
                return
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.poll_s)
            except TimeoutError:
                continue

    async def close(self) -> None:
        return None


def _ssl_context(account: ImapAccount) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(account.ca_file) if account.ca_file else None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class ImapSource:
    """One IMAP connection per mailbox, used from a worker thread (imaplib is blocking)."""

    def __init__(self, account: ImapAccount) -> None:
        self.account = account
        self.name = f"imap://{account.username}@{account.host}:{account.port}/{account.folder}"
        self._box: BaseMailBox | None = None
        self._lock = asyncio.Lock()  # one command at a time on the connection

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        async with self._lock:
            return await asyncio.to_thread(fn, *args)

    @property
    def box(self) -> BaseMailBox:
        assert self._box is not None, "open() first"
        return self._box

    async def open(self) -> None:
        await self._call(self._connect)

    def _connect(self) -> None:
        account = self.account
        context = _ssl_context(account)
        box: BaseMailBox
        if account.security == "tls":
            box = MailBox(account.host, account.port, timeout=30, ssl_context=context)
        else:
            box = MailBoxStartTls(account.host, account.port, timeout=30, ssl_context=context)
        box.login(account.username, account.password(), initial_folder=None)
        for folder in (account.processed_folder, account.quarantine_folder):
            if folder and not box.folder.exists(folder):
                box.folder.create(folder)
        box.folder.set(account.folder)
        self._box = box

    async def pending(self) -> list[str]:
        criteria = (
            "UNDELETED" if self.account.processed_folder else f"UNDELETED UNKEYWORD {DONE_KEYWORD}"
        )
        return await self._call(self.box.uids, criteria)

    async def read(self, handle: str, max_bytes: int) -> tuple[bytes, datetime]:
        return await self._call(self._read, handle, max_bytes)

    def _read(self, uid: str, max_bytes: int) -> tuple[bytes, datetime]:
        client = self.box.client
        status, meta = client.uid("FETCH", uid, "(RFC822.SIZE INTERNALDATE)")
        head = b" ".join(m if isinstance(m, bytes) else m[0] for m in meta if m)
        size = re.search(rb"RFC822\.SIZE (\d+)", head)
        if status != "OK" or size is None:
            raise LookupError(f"message {uid} is gone")
        if int(size.group(1)) > max_bytes:
            raise TooLarge(f"{size.group(1).decode()} bytes")
        arrived = imaplib.Internaldate2tuple(head)
        status, data = client.uid("FETCH", uid, "(BODY.PEEK[])")
        raw = next((d[1] for d in data if isinstance(d, tuple)), None)
        if status != "OK" or raw is None:
            raise LookupError(f"message {uid} is gone")
        when = datetime.fromtimestamp(time.mktime(arrived), UTC) if arrived else datetime.now(UTC)
        return raw, when

    async def done(self, handle: str) -> None:
        if self.account.processed_folder:
            await self._call(self.box.move, handle, self.account.processed_folder)
        else:
            await self._call(self.box.flag, handle, [DONE_KEYWORD, "\\Seen"], True)

    async def quarantine(self, handle: str, reason: str) -> None:
        # IMAP keeps no note with a message: the reason is logged and counted (worker.py)
        await self._call(self.box.move, handle, self.account.quarantine_folder)

    async def wait(self, stop: asyncio.Event) -> None:
        """IDLE until the server announces a message, or the idle period ends; a stop is
        noticed within a second (the IDLE is re-issued, as RFC 2177 allows)."""
        deadline = time.monotonic() + self.account.idle_seconds
        while not stop.is_set() and time.monotonic() < deadline:
            responses = await self._call(self.box.idle.wait, 1.0)
            if any(b"EXISTS" in r for r in responses):
                return

    async def close(self) -> None:
        if self._box is not None:
            box, self._box = self._box, None
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                await self._call(box.logout)


def source_for(mailbox: Mailbox, kind: str, inbox_dir: Path, tenant: str) -> Source | None:
    """`maildir`: `<inbox_dir>/<tenant>/<mailbox id>`; `imap`: the mailbox's account, if any."""
    if kind == "maildir":
        return MaildirSource(inbox_dir / tenant / mailbox.id)
    if kind == "imap" and mailbox.imap is not None:
        return ImapSource(mailbox.imap)
    return None
