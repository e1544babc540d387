"""The attachment store: each file once, named by its SHA-256, in a directory (or volume).

A file is written to a temporary name, synced and renamed, so a reader never sees half of it;
storing the same bytes again (the same message taken in twice, a photo sent twice) is free.

Who holds each file: `refs/<sha256>/<case id>`, whose content is the data subject whose key
seals that case (written before the case is registered, so a crash leaves no file without its
reference). Once that key is erased (the citizen's right to erasure, or the retention), `reap`
removes the reference, and the file with its last one: a file another live case references stays.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from .config import MB, Mailbox
from .parsing import Part

URI_PREFIX = "sportello-attachment:sha256:"


class AttachmentStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, digest: str) -> Path:
        return self.root / digest[:2] / digest

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        final = self.path_of(digest)
        if final.exists():
            return digest
        final.parent.mkdir(parents=True, exist_ok=True)
        # one name per writer: two messages carrying the same file may be taken in together
        temporary = final.with_name(f".{digest}.{uuid4().hex}.tmp")
        with open(temporary, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, final)
        return digest

    def contains(self, digest: str) -> bool:
        return self.path_of(digest).is_file()

    def get(self, digest: str) -> bytes:
        return self.path_of(digest).read_bytes()

    @property
    def refs(self) -> Path:
        return self.root / "refs"

    def link(self, digest: str, case_id: UUID, data_subject: str) -> None:
        """Record that `case_id` (sealed under `data_subject`'s key) references the file."""
        folder = self.refs / digest
        folder.mkdir(parents=True, exist_ok=True)
        ref = folder / str(case_id)
        if not ref.exists():
            temporary = folder / f".{case_id}.{uuid4().hex}.tmp"
            temporary.write_text(data_subject, encoding="utf-8")
            os.replace(temporary, ref)

    def reap(self, erased: Callable[[str], bool]) -> int:
        """Drop the references of cases whose data subject was erased, and each file left with
        none; the number of files deleted."""
        deleted = 0
        if not self.refs.is_dir():
            return 0
        for folder in sorted(self.refs.iterdir()):
            for ref in [r for r in folder.iterdir() if not r.name.startswith(".")]:
                subject = ref.read_text(encoding="utf-8").strip()
                if subject and erased(subject):
                    ref.unlink(missing_ok=True)
            if not any(r for r in folder.iterdir() if not r.name.startswith(".")):
                self.path_of(folder.name).unlink(missing_ok=True)
                for leftover in folder.iterdir():
                    leftover.unlink(missing_ok=True)
                folder.rmdir()
                deleted += 1
        return deleted


def refusal(part: Part, mailbox: Mailbox) -> str | None:
    """Why a file is not kept (in Italian: the operators read it on the case), or None."""
    if len(part.data) > mailbox.max_attachment_bytes:
        size = len(part.data) / MB
        return f"supera il limite di {mailbox.max_attachment_mb:g} MB ({size:.1f} MB)"
    if part.media_type not in mailbox.allowed_types:
        return f"tipo di file non ammesso ({part.media_type})"
    if not part.data:
        return "file vuoto"
    return None


def keep(
    store: AttachmentStore,
    parts: tuple[Part, ...],
    mailbox: Mailbox,
    owner: tuple[UUID, str] | None = None,
) -> list[dict[str, Any]]:
    """The case's references to the kept files, and a line for each refused one with why;
    `owner` (case id, data subject) is recorded as holding each kept file."""
    kept: list[dict[str, Any]] = []
    for part in parts:
        entry: dict[str, Any] = {
            "name": part.name[:200],
            "media_type": part.media_type,
            "size": len(part.data),
        }
        reason = refusal(part, mailbox)
        if reason is None:
            digest = store.put(part.data)
            if owner is not None and owner[1]:
                store.link(digest, *owner)
            entry["uri"] = URI_PREFIX + digest
        else:
            entry["refused"] = reason
        kept.append(entry)
    return kept
