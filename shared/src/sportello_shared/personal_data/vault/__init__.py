"""Per-data-subject keys (crypto-shredding): one AES key per citizen, kept in the service's store.

Deleting a subject's key makes every field sealed under it unreadable, in every event of the
history and in every backup taken since, while the events themselves (ids, versions, dates,
categories, organizations) stay and keep counts and reports what they were.

The keys live beside the events (same SQLite file or PostgreSQL schema), wrapped with the store's
own cipher (`CIPHER_KEY`) when there is one, so a dump holds neither the data nor its key in clear.
Which aggregates belong to which subject is kept too: erasure by e-mail or by case finds them all.

The interface (`interface.py`: caching, wrapping), then one module per store: `memory.py`,
`sql.py` (what SQLite and PostgreSQL share), `sqlite.py`, `postgres.py`; `open_vault` picks one
from the application's environment.
"""

from __future__ import annotations

from collections.abc import Mapping

from eventsourcing.persistence import Cipher

from .interface import ERASED, KEY_BYTES, KEY_CACHE_SECONDS, DataKeyVault, Erased, SubjectErasure
from .memory import InMemoryDataKeyVault
from .postgres import PostgresDataKeyVault
from .sql import SqlDataKeyVault
from .sqlite import SQLiteDataKeyVault

__all__ = [
    "ERASED",
    "KEY_BYTES",
    "KEY_CACHE_SECONDS",
    "DataKeyVault",
    "Erased",
    "InMemoryDataKeyVault",
    "PostgresDataKeyVault",
    "SQLiteDataKeyVault",
    "SqlDataKeyVault",
    "SubjectErasure",
    "open_vault",
]


def open_vault(env: Mapping[str, str], app_name: str, cipher: Cipher | None) -> DataKeyVault:
    """The vault beside the application's own event store, as its environment configures it."""
    module = env.get("PERSISTENCE_MODULE", "eventsourcing.popo")
    if module == "eventsourcing.sqlite":
        path = env.get("SQLITE_DBNAME", ":memory:")
        if ":memory:" in path or "mode=memory" in path:
            return InMemoryDataKeyVault(cipher)
        return SQLiteDataKeyVault(path, cipher)
    if module == "eventsourcing.postgres":
        conninfo = {
            "dbname": env.get("POSTGRES_DBNAME", "postgres"),
            "host": env.get("POSTGRES_HOST", "127.0.0.1"),
            "port": int(env.get("POSTGRES_PORT", "5432")),
            "user": env.get("POSTGRES_USER", "postgres"),
            "password": env.get("POSTGRES_PASSWORD", ""),
            "connect_timeout": int(env.get("POSTGRES_CONNECT_TIMEOUT", "5")),
        }
        schema = env.get("POSTGRES_SCHEMA", "public")
        return PostgresDataKeyVault(conninfo, schema, app_name, cipher)
    return InMemoryDataKeyVault(cipher)
