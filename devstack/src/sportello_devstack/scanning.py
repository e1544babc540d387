"""Looking for markers wherever a running stack keeps data (the privacy acceptance tests).

- `read_streams`: every message of every stream (`bus.streams.STREAMS`), payload and headers, as
  an outside reader with the services' NATS credentials would (an ordered consumer, deliver all);
- `store_texts`: every row of every table of a service's store (SQLite file or PostgreSQL
  schema), raw and decrypted with the store key, plus each stored event read back through the
  service's personal-data vault, as someone holding a dump and the store key would;
- `file_texts`: files (logs, NATS's own store) as bytes.

Each returns `(where, text)` pairs, so a failure names where the marker was found.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any
from uuid import UUID

import nats
import psycopg
from eventsourcing.application import Application
from eventsourcing.utils import Environment
from nats.js.api import DeliverPolicy
from psycopg import sql
from sportello_shared.bus.streams import STREAMS
from sportello_shared.cipher import GcmCipher
from sportello_shared.personal_data.mapper import PersonalDataMapper
from sportello_shared.personal_data.vault import open_vault
from sportello_shared.settings import ServiceSettings

from .stack import SERVICES, Stack

Found = tuple[str, str]


async def read_streams(nats_url: str, timeout: float = 5.0) -> dict[str, list[Found]]:
    """Each stream's messages, `(subject#seq, headers and payload)`; all of them or it fails."""
    nc = await nats.connect(servers=[nats_url])
    try:
        js = nc.jetstream()
        read: dict[str, list[Found]] = {}
        for spec in STREAMS:
            expected = (await js.stream_info(spec.name)).state.messages
            read[spec.name] = []
            if not expected:
                continue
            sub = await js.subscribe(
                spec.subjects[0],
                stream=spec.name,
                ordered_consumer=True,
                deliver_policy=DeliverPolicy.ALL,
            )
            try:
                while True:
                    msg = await sub.next_msg(timeout=timeout)
                    headers = " ".join(f"{k}: {v}" for k, v in (msg.headers or {}).items())
                    where = f"{spec.name} {msg.subject}#{msg.metadata.sequence.stream}"
                    read[spec.name].append(
                        (where, f"{headers}\n{msg.data.decode(errors='replace')}")
                    )
                    if msg.metadata.num_pending == 0:
                        break
            finally:
                await sub.unsubscribe()
            assert len(read[spec.name]) >= expected, (spec.name, len(read[spec.name]), expected)
        return read
    finally:
        await nc.close()


def read_streams_sync(nats_url: str) -> dict[str, list[Found]]:
    return asyncio.run(read_streams(nats_url))


def _decoded(value: object, cipher: GcmCipher | None) -> Iterator[str]:
    """A column's value as text: as stored, and decrypted (then inflated) with the store key."""
    if isinstance(value, memoryview):
        value = value.tobytes()
    if not isinstance(value, bytes):
        yield str(value)
        return
    yield value.decode("latin-1")
    if cipher is None:
        return
    try:
        clear = cipher.decrypt(value)
    except Exception:  # not encrypted with the store key (hashes, ids, sealed personal data)
        return
    with contextlib.suppress(zlib.error):
        clear = zlib.decompress(clear)
    yield clear.decode("latin-1")


def _rows_texts(
    tables: Iterable[tuple[str, Iterable[tuple[Any, ...]]]], cipher: GcmCipher | None
) -> Iterator[Found]:
    for table, rows in tables:
        for n, row in enumerate(rows):
            text = " | ".join(t for value in row for t in _decoded(value, cipher))
            yield f"{table} row {n}", text


def _sqlite_tables(path: Path) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for name in names:
            yield f"{path.name}:{name}", conn.execute(f'SELECT * FROM "{name}"').fetchall()


def _postgres_tables(url: str, schema: str) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    with psycopg.connect(url) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (schema,),
            )
        ]
        for name in names:
            query = sql.SQL("SELECT * FROM {}.{}").format(
                sql.Identifier(schema), sql.Identifier(name)
            )
            yield f"{schema}.{name}", conn.execute(query).fetchall()


def _events_through_the_vault(env: Mapping[str, str], service: str) -> Iterator[Found]:
    """Every stored event as the service itself would read it (personal fields unsealed)."""
    reader_class = type(f"{service.title()}Reader", (Application,), {"name": service})
    small_pool = {"POSTGRES_POOL_SIZE": "1", "POSTGRES_MAX_OVERFLOW": "0"}  # a shared server
    reader: Application[UUID] = reader_class(env={**env, **small_pool})  # `<service>_events`
    vault = open_vault(reader.env, service, reader.mapper.cipher)
    try:
        mapper = PersonalDataMapper(reader.mapper, vault)
        start: int | None = None
        while True:
            page = reader.recorder.select_notifications(start, 500)
            for notification in page:
                event = mapper.to_domain_event(notification)
                where = f"{service} event {notification.id} {notification.topic}"
                yield where, repr(vars(event))
            if len(page) < 500:
                return
            start = page[-1].id + 1
    finally:
        vault.close()
        reader.close()


def store_texts(settings: ServiceSettings) -> list[Found]:
    """Everything a copy of the service's store and its store key give to read."""
    env = settings.eventsourcing_env()
    key = settings.store_cipher_key()
    cipher = GcmCipher(Environment(env={"CIPHER_KEY": key})) if key else None
    if settings.database_url:
        tables = _postgres_tables(settings.database_url, settings.store_schema)
    else:
        files = sorted(settings.data_dir.glob(f"{settings.service_name}*.sqlite"))
        if not files:
            raise FileNotFoundError(f"no store of {settings.service_name} in {settings.data_dir}")
        tables = (t for path in files for t in _sqlite_tables(path))
    found = list(_rows_texts(tables, cipher))
    return found + list(_events_through_the_vault(env, settings.service_name))


def file_texts(paths: Iterable[Path]) -> list[Found]:
    return [(str(path), path.read_bytes().decode("latin-1")) for path in paths if path.is_file()]


def where_found(markers: Iterable[str], found: Iterable[Found]) -> list[str]:
    """`where: marker` for each marker found; empty when none is."""
    wanted = list(markers)
    return [f"{where}: {m}" for where, text in found for m in wanted if m in text]


def stack_stores(stack: Stack) -> list[Found]:
    key_file = stack.cipher_key_file()
    found: list[Found] = []
    for service in SERVICES:
        env = stack.database_env(service)
        settings = ServiceSettings.model_validate(
            {
                "service_name": service,
                "SPORTELLO_DATA_DIR": stack.data_dir,
                "CIPHER_KEY_FILE": key_file,
                **env,
            }
        )
        found += store_texts(settings)
    return found


def stack_files(stack: Stack) -> list[Found]:
    """The services' logs, NATS's log and its JetStream files, the attachments kept: not the
    Maildirs (the city's mail server) nor the mail sink (what was mailed to the citizen)."""
    paths = [
        *stack.data_dir.glob("*.log"),
        *(stack.data_dir / "nats").rglob("*"),
        *(stack.data_dir / "attachments").rglob("*"),
    ]
    return file_texts(p for p in paths if p.is_file())
