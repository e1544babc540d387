"""The vault in memory: tests and `make run`'s in-memory stores."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import Cipher

from .interface import DataKeyVault, SubjectErasure


class InMemoryDataKeyVault(DataKeyVault):
    """For in-memory stores (unit tests, replays): the same rules, nothing on disk."""

    def __init__(self, cipher: Cipher | None = None) -> None:
        super().__init__(cipher)
        self._keys: dict[str, bytes | None] = {}
        self._erasures: dict[str, SubjectErasure] = {}
        self._links: set[tuple[UUID, str]] = set()
        self._lock = threading.Lock()
        self._stored_pepper = self._new_pepper()

    def aggregates_of(self, subjects: Sequence[str]) -> list[UUID]:
        with self._lock:
            return sorted({a for a, s in self._links if s in subjects})

    def erasures(self, subjects: Sequence[str]) -> list[SubjectErasure]:
        return [self._erasures[s] for s in subjects if s in self._erasures]

    def _load_pepper(self) -> bytes:
        return self._unwrap(self._stored_pepper)

    def _read_stored(self, subject: str) -> tuple[bytes | None, bool] | None:
        with self._lock:
            if subject not in self._keys:
                return None
            return self._keys[subject], subject in self._erasures

    def _insert(
        self, keys: list[tuple[str, bytes]], links: list[tuple[str, str]]
    ) -> dict[str, tuple[bytes | None, bool]]:
        with self._lock:
            for subject, key in keys:
                self._keys.setdefault(subject, key)
            for aggregate_id, subject in links:
                self._links.add((UUID(aggregate_id), subject))
            return {s: (self._keys[s], s in self._erasures) for s, _ in keys}

    def _delete_keys(self, subjects: list[str], actor: str, at: datetime) -> None:
        with self._lock:
            for subject in subjects:
                self._keys[subject] = None
                self._erasures.setdefault(subject, SubjectErasure(subject, at, actor))
