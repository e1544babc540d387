"""sla-svc's own refusals in the caller's language: Italian by default, English if asked."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize(
    ("language", "backwards", "tenant", "standard"),
    [
        (
            None,
            "non può essere prima di from",
            "ente sconosciuto: 'milano'",
            "l'ente 'pisa' non ha lo standard 'nope'",
        ),
        (
            "en",
            "must not be before from",
            "no SLA policy for tenant 'milano'",
            "tenant 'pisa' has no standard 'nope'",
        ),
    ],
)
async def test_refusals_are_worded_in_the_caller_s_language(
    client: httpx.AsyncClient, language: str | None, backwards: str, tenant: str, standard: str
) -> None:
    headers = {"Accept-Language": language} if language else {}

    async def message(response: httpx.Response) -> str:
        assert response.status_code == 422, response.text
        text: str = response.json()["errors"][0]["message"]
        return text

    calendar = await client.get(
        "/calendar/pisa", params={"from": "2026-06-10", "to": "2026-01-01"}, headers=headers
    )
    assert await message(calendar) == backwards
    report = await client.get(
        "/reports/compliance",
        params={"tenant": "pisa", "from": "2026-06-10", "to": "2026-01-01"},
        headers=headers,
    )
    assert await message(report) == backwards
    unknown = await client.get("/reports/compliance", params={"tenant": "milano"}, headers=headers)
    assert await message(unknown) == tenant
    body = {"tenant": "pisa", "standard": "nope", "start": "2026-06-16T18:00:00Z"}
    nope = await client.post("/deadlines/compute", json=body, headers=headers)
    assert await message(nope) == standard
