"""The Application mixin that seals personal data under per-subject keys."""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from eventsourcing.persistence import EventStore, Mapper, ProcessRecorder, Recorder
from eventsourcing.postgres import PostgresRecorder
from eventsourcing.projection import EventSourcedProjection
from eventsourcing.sqlite import SQLiteRecorder

from .mapper import PersonalDataMapper, SealingEventStore
from .vault import DataKeyVault, PostgresDataKeyVault, SQLiteDataKeyVault, open_vault


def sealing_mapper(
    env: Mapping[str, str], name: str, base: Mapper[UUID]
) -> tuple[Mapper[UUID], DataKeyVault]:
    """The store's mapper wrapped to seal declared fields, and the vault holding their keys."""
    vault = open_vault(env, name.lower(), base.cipher)
    return PersonalDataMapper(base, vault), vault


def keep_beside(vault: DataKeyVault, recorder: Recorder) -> None:
    """The vault uses the event store's own connections (same SQLite file or PostgreSQL pool)."""
    if isinstance(vault, PostgresDataKeyVault) and isinstance(recorder, PostgresRecorder):
        vault.use_pool(recorder.datastore)
    if isinstance(vault, SQLiteDataKeyVault) and isinstance(recorder, SQLiteRecorder):
        vault.use_datastore(recorder.datastore)


class PersonalDataStore(EventSourcedProjection[UUID]):
    """Mix into an Application whose events declare personal fields: gives it `self.vault`.

    The vault sits beside the event store (same SQLite file or PostgreSQL schema) and its keys are
    wrapped with the store's own cipher.
    """

    vault: DataKeyVault

    def construct_mapper(self) -> Mapper[UUID]:
        mapper, self.vault = sealing_mapper(self.env, self.name, super().construct_mapper())
        return mapper

    def construct_event_store(self) -> EventStore[UUID]:
        assert isinstance(self.mapper, PersonalDataMapper)
        return SealingEventStore(mapper=self.mapper, recorder=self.recorder)

    def construct_recorder(self) -> ProcessRecorder:
        recorder = super().construct_recorder()
        keep_beside(self.vault, recorder)
        return recorder

    def letter_key(self, subject: str, data: bytes | None) -> bytes | None:
        """A dead letter's key (bus/sealing.py), made when `data` is given and linked to the
        pseudonyms of the contacts it names, so erasing that citizen deletes it too."""
        if data is not None:
            letter = UUID(subject.removeprefix("letter:"))
            self.vault.ensure([subject], [(letter, p) for p in self.dead_letter_pseudonyms(data)])
        found = self.vault.key(subject, create=False)
        return found if isinstance(found, bytes) else None

    def dead_letter_pseudonyms(self, data: bytes) -> list[str]:
        """The pseudonyms of the citizens a dead letter's payload names (intake reads them)."""
        return []

    def close(self) -> None:
        super().close()
        self.vault.close()
