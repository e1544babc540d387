"""The PostgreSQL case index writes a batch of rows in one round trip, atomically, newest
version kept (adapters/case_index.py), read off libpq's own trace of the protocol."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import uuid4

import pytest
from sportello_devstack.pgtrace import round_trips
from sportello_intake.adapters.case_index import PostgresCaseIndex
from sportello_intake.search import CaseQuery, CaseRow


@pytest.fixture
def index(database_url: str, pg_schema: str) -> Iterator[PostgresCaseIndex]:
    made = PostgresCaseIndex(database_url, pg_schema, connections=1)
    yield made
    made.close()


def row(number: int, version: int = 1) -> CaseRow:
    return CaseRow(
        case_id=str(uuid4()) if version == 1 else f"case-{number}",
        version=version,
        tenant="torino",
        reference=f"TO-2026-{number:06d}",
        status="received",
        is_open=True,
        organization=None,
        category="segnalazioni",
        kind="segnalazione",
        channel="web",
        received_us=number,
        updated_us=number,
        external_key=None,
    )


def round_trips_of_upsert(index: PostgresCaseIndex, rows: list[CaseRow]) -> int:
    with index._pool.connection() as conn:  # the pool's only connection, given back
        pgconn = conn.pgconn
    return round_trips(pgconn, lambda: index.upsert(rows))


def test_a_batch_of_rows_is_one_round_trip_and_keeps_the_newest_version(
    index: PostgresCaseIndex,
) -> None:
    newer = [row(7, version=3), row(8, version=2)]
    index.upsert(newer)

    assert round_trips_of_upsert(index, [row(n) for n in range(1, 6)] + [row(7, version=2)]) == 1

    rows, total = index.search(CaseQuery(tenant="torino"))
    assert total == 7
    by_id = {r.case_id: r.version for r in rows}
    assert by_id["case-7"] == 3 and by_id["case-8"] == 2  # an older version changes nothing
