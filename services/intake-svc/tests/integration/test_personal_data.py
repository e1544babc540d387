"""Citizens' personal data is never stored in clear: a dump of intake's schema does not show it."""

from __future__ import annotations

import shutil
import subprocess

import httpx
import pytest

from .conftest import REGISTRATION, eventually


async def test_a_database_dump_holds_no_citizen_contact_in_clear(
    client: httpx.AsyncClient, store: dict[str, str]
) -> None:
    if "DATABASE_URL" not in store:
        pytest.skip("the dump check is about PostgreSQL")
    pg_dump = shutil.which("pg_dump")
    assert pg_dump, "pg_dump (postgresql-client) is needed for this check"
    citizen = {
        "name": "Ermenegilda Sbrisolona",
        "email": "ermenegilda@example.org",
        "phone": "+39 011 7654321",
        "address": "Via Garibaldi 99, Torino",
    }
    case = (await client.post("/cases", json=REGISTRATION | {"citizen": citizen})).json()

    async def indexed() -> bool:
        return bool((await client.get("/cases")).json()["total"] == 1)

    await eventually(indexed)
    dump = subprocess.run(
        [pg_dump, "--data-only", f"--schema={store['DATABASE_SCHEMA']}", store["DATABASE_URL"]],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout

    assert case["reference"] in dump  # the index row is there: the dump is not empty
    for value in citizen.values():
        assert value not in dump
    assert "Cassonetti" not in dump  # what citizens write about their neighbours, too
