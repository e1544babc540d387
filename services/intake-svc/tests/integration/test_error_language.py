"""intake's refusals outside the case commands, in the caller's language (issue 26): Italian by
default, English when asked; an unknown category lists the tenant's categories."""

from __future__ import annotations

import httpx
import pytest

from .test_citizen_api import REPORT, headers, site_key  # noqa: F401


@pytest.mark.parametrize(
    ("language", "contact", "category", "key"),
    [
        (
            None,
            "indichi l'e-mail o il telefono del cittadino",
            "categoria sconosciuta 'astronavi': una tra ",
            "serve la chiave della piattaforma (X-Api-Key)",
        ),
        (
            "en",
            "name the citizen's email or phone",
            "unknown category 'astronavi': one of ",
            "a platform key (X-Api-Key) is required",
        ),
    ],
)
async def test_refusals_are_worded_in_the_caller_s_language(
    client: httpx.AsyncClient,
    site_key: dict[str, str],  # noqa: F811
    language: str | None,
    contact: str,
    category: str,
    key: str,
) -> None:
    asked = {"Accept-Language": language} if language else {}
    nobody = await client.post("/cases/queries/by-contact", json={}, headers=asked)
    assert nobody.status_code == 422 and nobody.json()["detail"] == contact
    report = REPORT | {"category": "astronavi"}
    unknown = await client.post(
        "/citizen/v1/torino/reports", json=report, headers=headers(site_key) | asked
    )
    assert unknown.status_code == 422
    assert unknown.json()["detail"].startswith(category)
    assert "decoro_pulizia" in unknown.json()["detail"]  # the tenant's categories, listed
    keyless = await client.post("/citizen/v1/torino/reports", json=REPORT, headers=asked)
    assert keyless.status_code == 401 and keyless.json()["detail"] == key
