"""The Application mixin that seals personal data under per-subject keys."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.persistence import Mapper, ProcessRecorder
from eventsourcing.postgres import PostgresRecorder
from eventsourcing.projection import EventSourcedProjection
from eventsourcing.sqlite import SQLiteRecorder

from .mapper import PersonalDataMapper
from .vault import DataKeyVault, PostgresDataKeyVault, SQLiteDataKeyVault, open_vault


class PersonalDataStore(EventSourcedProjection[UUID]):
    """Mix into an Application whose events declare personal fields: gives it `self.vault`.

    The vault sits beside the event store (same SQLite file or PostgreSQL schema) and its keys are
    wrapped with the store's own cipher.
    """

    vault: DataKeyVault

    def construct_mapper(self) -> Mapper[UUID]:
        base = super().construct_mapper()
        self.vault = open_vault(self.env, self.name.lower(), base.cipher)
        return PersonalDataMapper(base, self.vault)

    def construct_recorder(self) -> ProcessRecorder:
        recorder = super().construct_recorder()
        if isinstance(self.vault, PostgresDataKeyVault) and isinstance(recorder, PostgresRecorder):
            self.vault.use_pool(recorder.datastore)
        if isinstance(self.vault, SQLiteDataKeyVault) and isinstance(recorder, SQLiteRecorder):
            self.vault.use_datastore(recorder.datastore)
        return recorder

    def close(self) -> None:
        super().close()
        self.vault.close()
