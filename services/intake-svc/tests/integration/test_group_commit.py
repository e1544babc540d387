"""Concurrent registrations are committed together, each answered only after its commit."""

from __future__ import annotations

import asyncio

import httpx
from prometheus_client import REGISTRY

from .conftest import REGISTRATION, this_year


def batches_committed() -> float:
    return (
        REGISTRY.get_sample_value("sportello_writer_batch_size_count", {"batch": "registrations"})
        or 0.0
    )


async def test_concurrent_registrations_share_transactions_and_keep_unique_references(
    client: httpx.AsyncClient,
) -> None:
    before = batches_committed()
    responses = await asyncio.gather(*(client.post("/cases", json=REGISTRATION) for _ in range(60)))

    assert [r.status_code for r in responses] == [201] * 60
    references = sorted(r.json()["reference"] for r in responses)
    assert references == [f"TO-{this_year()}-{n:06d}" for n in range(1, 61)]
    assert batches_committed() - before < 60
    for response in responses[:5]:  # each answer was given after its commit: it can be read back
        case_id = response.json()["case_id"]
        assert (await client.get(f"/cases/{case_id}")).status_code == 200


async def test_a_refused_registration_does_not_take_its_batch_down(
    client: httpx.AsyncClient,
) -> None:
    bodies = [REGISTRATION, REGISTRATION | {"category": "astronavi"}, REGISTRATION]
    responses = await asyncio.gather(*(client.post("/cases", json=b) for b in bodies))
    assert [r.status_code for r in responses] == [201, 422, 201]
