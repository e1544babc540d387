"""The vault's interface: keys per data subject, cached, wrapped under the store's cipher."""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from uuid import UUID

from eventsourcing.persistence import Cipher

KEY_BYTES: Final = 32
# How long a replica trusts a key it read: an erasure made by another replica takes effect there
# within this time (the replica that erases forgets the key at once).
KEY_CACHE_SECONDS: Final = 60.0


class Erased:
    """The key of this subject was deleted: what was sealed under it is gone for good."""

    def __repr__(self) -> str:
        return "ERASED"


ERASED: Final = Erased()


@dataclass(frozen=True)
class StagedKeys:
    """New subjects' keys, made but not stored yet, and links: rows for the events' transaction
    to write beside the events sealed under them (`SqlDataKeyVault.write_staged`)."""

    keys: dict[str, bytes]  # subject -> key, in the clear: what the mapper seals with
    links: list[tuple[str, str]]  # (aggregate id, subject)


@dataclass(frozen=True)
class SubjectErasure:
    subject: str
    erased_at: datetime
    erased_by: str


class DataKeyVault(ABC):
    """Keys per data subject, and which aggregates each subject's data is in."""

    def __init__(self, cipher: Cipher | None) -> None:
        self._cipher = cipher
        self._cache: dict[str, tuple[bytes | Erased, float]] = {}
        self._cache_lock = threading.Lock()
        self._pepper: bytes | None = None

    # --- what the mapper and the applications use ------------------------------------------------

    def pseudonym(self, kind: str, value: str) -> str:
        """A stable, non-reversible name for a data subject (e.g. `email` + the address)."""
        if self._pepper is None:
            self._pepper = self._load_pepper()
        digest = hmac.new(self._pepper, f"{kind}:{value}".encode(), hashlib.sha256)
        return f"{kind}:{digest.hexdigest()[:40]}"

    def key(self, subject: str, *, create: bool = True) -> bytes | Erased | None:
        """The subject's key (made on first use), ERASED if it was deleted, None if unknown."""
        cached = self._cached(subject)
        if cached is not None:
            return cached
        found = self._read_key(subject)
        if found is None and create:
            self.ensure([subject])  # remembers the key that was stored, ours or a replica's
            return self._cached(subject)
        if found is not None:
            self._remember(subject, found)
        return found

    def ensure(self, subjects: Iterable[str], links: Iterable[tuple[UUID, str]] = ()) -> None:
        """Make the keys of new subjects and record which aggregates hold whose data, in one
        transaction.

        Called before the events that need the keys are saved, so a key is always durable before
        anything sealed under it; a key of a registration that then failed is simply unused.
        An aggregate may be linked to several pseudonyms of one person (e-mail and phone), so an
        erasure asked for by either finds it.
        """
        missing, rows = self._uncached(subjects), link_rows(links)
        if not missing and not rows:
            return
        new_keys = [(s, self._wrap(os.urandom(KEY_BYTES))) for s in missing]
        # Another replica may have made some of these keys first: cache what was stored.
        for subject, stored in self._insert(new_keys, rows).items():
            self._remember_stored(subject, stored)

    def stage(
        self, subjects: Iterable[str], links: Iterable[tuple[UUID, str]] = ()
    ) -> StagedKeys | None:
        """Like `ensure`, for the events' own transaction to write the rows (one commit for
        both): the new keys and the links handed back, or None when there is nothing to write.
        Here `ensure` writes them at once, in a transaction of its own (None); a vault in the
        event store's own database stages them (`SqlDataKeyVault`)."""
        self.ensure(subjects, links)
        return None

    def stored(self, staged: StagedKeys) -> None:
        """The transaction that wrote `staged` committed: its keys are their subjects' now."""
        for subject, key in staged.keys.items():
            self._remember(subject, key)

    def write_staged(self, cursor: Any, staged: StagedKeys) -> None:
        """Insert what `stage` handed back, with the events' cursor (a vault that stages)."""
        raise NotImplementedError(f"{type(self).__name__} stages nothing")

    def erase(self, subjects: Sequence[str], actor: str, at: datetime) -> None:
        """Delete the subjects' keys (a subject never seen before is recorded as erased too)."""
        self._delete_keys(list(subjects), actor, at)
        with self._cache_lock:
            for subject in subjects:
                self._cache[subject] = (ERASED, time.monotonic())

    @abstractmethod
    def aggregates_of(self, subjects: Sequence[str]) -> list[UUID]: ...

    @abstractmethod
    def erasures(self, subjects: Sequence[str]) -> list[SubjectErasure]: ...

    def close(self) -> None:  # noqa: B027 - only the PostgreSQL vault holds a connection
        """Release connections."""

    # --- storage, per database -------------------------------------------------------------------

    @abstractmethod
    def _load_pepper(self) -> bytes: ...

    @abstractmethod
    def _read_stored(self, subject: str) -> tuple[bytes | None, bool] | None: ...

    @abstractmethod
    def _insert(
        self, keys: list[tuple[str, bytes]], links: list[tuple[str, str]]
    ) -> dict[str, tuple[bytes | None, bool]]:
        """Insert what is missing; return the stored (wrapped key, erased) of `keys`' subjects."""

    @abstractmethod
    def _delete_keys(self, subjects: list[str], actor: str, at: datetime) -> None: ...

    def _read_key(self, subject: str) -> bytes | Erased | None:
        stored = self._read_stored(subject)
        if stored is None:
            return None
        wrapped, erased = stored
        if erased or wrapped is None:
            return ERASED
        return self._unwrap(wrapped)

    def _new_pepper(self) -> bytes:
        return self._wrap(os.urandom(KEY_BYTES))

    def _wrap(self, key: bytes) -> bytes:
        return self._cipher.encrypt(key) if self._cipher else key

    def _unwrap(self, stored: bytes) -> bytes:
        return self._cipher.decrypt(stored) if self._cipher else stored

    def _uncached(self, subjects: Iterable[str]) -> list[str]:
        return [s for s in set(subjects) if self._cached(s) is None]

    def _remember_stored(self, subject: str, stored: tuple[bytes | None, bool]) -> None:
        """Cache a stored (wrapped key, erased) row as the key, or ERASED."""
        wrapped, erased = stored
        self._remember(subject, ERASED if erased or wrapped is None else self._unwrap(wrapped))

    def _cached(self, subject: str) -> bytes | Erased | None:
        with self._cache_lock:
            entry = self._cache.get(subject)
        if entry is None:
            return None
        value, fetched = entry
        if value is not ERASED and time.monotonic() - fetched > KEY_CACHE_SECONDS:
            return None
        return value

    def _remember(self, subject: str, value: bytes | Erased) -> None:
        with self._cache_lock:
            if len(self._cache) > 100_000:
                self._cache.clear()  # bounded memory; the keys are read again when needed
            self._cache[subject] = (value, time.monotonic())


def link_rows(links: Iterable[tuple[UUID, str]]) -> list[tuple[str, str]]:
    """(aggregate id, subject) rows of the links table."""
    return [(str(aggregate_id), subject) for aggregate_id, subject in links]
