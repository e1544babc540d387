"""Seal the personal fields of stored events under their data subject's key.

The mapper moves the fields an event class declares personal (see the package docstring) into
one AES-GCM envelope under the subject's key before the event is transcoded (the store's own
cipher then encrypts the whole state as before), and puts them back when the event is read. Once
the subject's key is erased, each field reads as the value the class declares for it, and the
event is marked so that publishers can tell.

Upcasters run before the fields are put back: an upcaster must not touch a personal field.
"""

from __future__ import annotations

import base64
import copy
import functools
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import EventStore, Mapper, Recording, StoredEvent

from ..entropy import random_bytes
from ..staged_rows import STAGED_ROWS
from . import ERASED_MARK, data_subject_of, personal_fields
from .vault import DataKeyVault, Erased
from .vault.interface import StagedKeys

SEALED: Final = "_sealed_personal_data"
DATA_SUBJECT_LINKS: Final = "data_subject_links"  # the save keyword (SealingEventStore)


class PersonalDataMapper(Mapper[UUID]):
    def __init__(self, base: Mapper[UUID], vault: DataKeyVault) -> None:
        super().__init__(base.transcoder, base.compressor, base.cipher)
        self.vault = vault
        self._staged = threading.local()

    def prepare(
        self,
        domain_events: Sequence[DomainEventProtocol[UUID]],
        links: Sequence[tuple[UUID, str]] = (),
        in_transaction: bool = False,
    ) -> StagedKeys | None:
        """Make sure the keys of every subject these events name are at hand, and `links`
        recorded: those this process has not cached are read (if they exist) or made for all of
        them at once, instead of one read and one transaction per new subject while the events
        are mapped. `in_transaction`: new keys and links are handed back, for the events'
        transaction to write (staged_rows.py); otherwise written now, in a transaction of their
        own."""
        subjects = {
            subject
            for event in domain_events
            if personal_fields(type(event)) and (subject := data_subject_of(event))
        }
        if not subjects and not links:
            return None
        if in_transaction:
            return self.vault.stage(subjects, links)
        self.vault.ensure(subjects, links)
        return None

    @contextmanager
    def sealing_with(self, staged: StagedKeys | None) -> Iterator[None]:
        """While the block maps events on this thread, the staged (not yet stored) keys seal."""
        previous = getattr(self._staged, "keys", None)
        self._staged.keys = staged.keys if staged is not None else None
        try:
            yield
        finally:
            self._staged.keys = previous

    def _key(self, subject: str) -> bytes | Erased | None:
        staged: dict[str, bytes] | None = getattr(self._staged, "keys", None)
        if staged is not None and subject in staged:
            return staged[subject]
        return self.vault.key(subject)

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        fields = personal_fields(type(domain_event))
        subject = data_subject_of(domain_event) if fields else ""
        if not subject:
            return super().to_stored_event(domain_event)
        state = dict(vars(domain_event))
        personal = {name: state.pop(name) for name in fields if name in state}
        key = self._key(subject)
        if isinstance(key, bytes):
            state[SEALED] = {"subject": subject, "sealed": self._seal(key, subject, personal)}
        else:
            # Erased already (a late redelivery): what was erased is never written again.
            state.update({name: copy.deepcopy(fields[name]) for name in personal})
        sealed_event = object.__new__(type(domain_event))
        object.__setattr__(sealed_event, "__dict__", state)
        return super().to_stored_event(sealed_event)

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        domain_event = super().to_domain_event(stored_event)
        state = vars(domain_event)
        envelope = state.pop(SEALED, None)
        if envelope is None:
            return domain_event
        subject = envelope["subject"]
        key = self.vault.key(subject, create=False)
        if isinstance(key, bytes):
            state.update(self._open(key, subject, envelope["sealed"]))
        else:
            fields = personal_fields(type(domain_event))
            state.update({name: copy.deepcopy(value) for name, value in fields.items()})
            state[ERASED_MARK] = True
        return domain_event

    def _seal(self, key: bytes, subject: str, personal: dict[str, Any]) -> str:
        nonce = random_bytes(12)
        plain = self.transcoder.encode(personal)
        sealed = AESGCM(key).encrypt(nonce, plain, subject.encode())
        return base64.b64encode(nonce + sealed).decode()

    def _open(self, key: bytes, subject: str, sealed: str) -> dict[str, Any]:
        raw = base64.b64decode(sealed)
        plain = AESGCM(key).decrypt(raw[:12], raw[12:], subject.encode())
        opened: dict[str, Any] = self.transcoder.decode(plain)
        return opened


class SealingEventStore(EventStore[UUID]):
    """Puts events through a `PersonalDataMapper` with their subjects' keys made beforehand:
    in the events' own transaction where the recorder writes staged rows (staged_rows.py).

    `save(..., data_subject_links=[(aggregate id, pseudonym), ...])` records which aggregates
    hold whose data in the same way (see `DataKeyVault.ensure`)."""

    mapper: PersonalDataMapper

    def put(
        self, domain_events: Sequence[DomainEventProtocol[UUID]], **kwargs: Any
    ) -> list[Recording[UUID]]:
        links = kwargs.pop(DATA_SUBJECT_LINKS, ())
        in_transaction = getattr(self.recorder, "writes_staged_rows", False)
        staged = self.mapper.prepare(domain_events, links, in_transaction)
        if staged is None:
            return super().put(domain_events, **kwargs)
        vault = self.mapper.vault
        with self.mapper.sealing_with(staged):
            write = functools.partial(vault.write_staged, staged=staged)
            recordings = super().put(domain_events, **kwargs, **{STAGED_ROWS: write})
        vault.stored(staged)
        return recordings
