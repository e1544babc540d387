"""The public site's store seals each report under a key of its own (crypto-shredding).

The same vault and mapper as the services' stores (`sportello_shared.personal_data`): the key
lives beside the event store, wrapped by the store's `CIPHER_KEY`; deleting it leaves the
report's envelope unreadable in the store and in every backup taken before.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import ApplicationRecorder, Mapper
from sportello_shared.personal_data.store import keep_beside, sealing_mapper
from sportello_shared.personal_data.vault import DataKeyVault


class SealedReports(Application[UUID]):
    """Mix into the site's Application: gives it `self.vault` and seals declared fields."""

    vault: DataKeyVault

    def construct_mapper(self) -> Mapper[UUID]:
        mapper, self.vault = sealing_mapper(self.env, self.name, super().construct_mapper())
        return mapper

    def construct_recorder(self) -> ApplicationRecorder:
        recorder = super().construct_recorder()
        keep_beside(self.vault, recorder)
        return recorder

    def close(self) -> None:
        super().close()
        self.vault.close()
