"""The publication policy: what Open311 shows without a key, with a key, by listing and lookup."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4
from xml.etree import ElementTree as ET

import httpx
import pytest
import yaml
from fastapi import FastAPI
from sportello_intake.main import IntakeSettings, build
from sportello_shared.privacy import snap_to_grid

from .conftest import REGISTRATION, ROOT, eventually

V2 = "/open311/v2"
POLICY = {
    "publication": {
        "location": "grid_100m",
        "categories": {
            "qualita_urbana": {"description": True},  # e.g. potholes: what was written, too
            "decoro_pulizia": {"description": False},  # listed, without the description
            # allarme_sociale (fraud against the elderly) is not public
        },
    }
}
KEYS = {  # client: (key, tenant, what the key is granted)
    "full": ("chiave-full-0123456789", "torino", {"categories": "*", "description": True}),
    "social": (
        "chiave-social-0123456789",
        "torino",
        {"categories": ["allarme_sociale"], "location": "street"},
    ),
    "plain": ("chiave-plain-0123456789", "torino", None),
    "pisa": ("chiave-pisa-0123456789", "pisa", {"categories": "*", "description": True}),
}
EXACT = {"categories": "*", "description": True, "location": "exact"}
LOCATION = {"address": "Via Roma 12, 10123 Torino", "lat": 45.0703, "lon": 7.6869}
# (category, channel): what the public, the plain key, the social key and the full key see of its
# description: None = the case is not shown at all, False = shown without it, True = with it
EXPECTED: dict[tuple[str, str], tuple[bool | None, bool | None, bool | None]] = {
    ("qualita_urbana", "web"): (True, True, True),
    ("qualita_urbana", "open311"): (True, True, True),
    ("qualita_urbana", "phone"): (False, False, False),
    ("qualita_urbana", "voicemail"): (False, False, False),
    ("qualita_urbana", "counter"): (False, False, False),
    ("qualita_urbana", "post"): (False, False, False),
    ("decoro_pulizia", "web"): (False, False, True),
    ("decoro_pulizia", "phone"): (False, False, False),
    ("allarme_sociale", "web"): (None, False, True),
    ("allarme_sociale", "phone"): (None, False, False),
}
READERS = ("public", "social", "full")


@pytest.fixture
def tenants_dir(tmp_path: Path) -> Path:
    """Torino with the policy above; Pisa as shipped but without a privacy.yaml (the default)."""
    directory = tmp_path / "tenants"
    for tenant in ("torino", "pisa"):
        shutil.copytree(ROOT / "deploy" / "tenants" / tenant, directory / tenant)
    (directory / "torino" / "privacy.yaml").write_text(yaml.safe_dump(POLICY))
    (directory / "pisa" / "privacy.yaml").unlink()
    return directory


@pytest.fixture(autouse=True)
def api_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    path = tmp_path / "open311-keys.json"
    entries = [
        {"client": client, "tenant": tenant, "sha256": hashlib.sha256(key.encode()).hexdigest()}
        | ({"sees": sees} if sees else {})
        for client, (key, tenant, sees) in KEYS.items()
    ]
    path.write_text(json.dumps(entries))
    monkeypatch.setenv("OPEN311_KEYS_FILE", str(path))
    yield


@pytest.fixture
async def client(
    store: dict[str, str], nats_url: str, tenants_dir: Path
) -> AsyncIterator[httpx.AsyncClient]:
    settings = IntakeSettings(NATS_URL=nats_url, SPORTELLO_TENANTS_DIR=str(tenants_dir), **store)  # type: ignore[call-arg]
    app: FastAPI = build(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            yield client


def marked(category: str, channel: str) -> dict[str, Any]:
    marker = uuid4().hex[:12]
    citizen = {
        "name": f"Nome{marker}",
        "email": f"m{marker}@example.org",
        "phone": f"+39 333 {int(marker[:7], 16) % 10_000_000:07d}",
    }
    return REGISTRATION | {
        "category": category,
        "channel": channel,
        "description": f"testo {marker}",
        "citizen": citizen,
        "location": LOCATION,
        "received_at": datetime.now(UTC).isoformat(),
        "attachments": [{"uri": f"https://foto.example.org/{marker}.jpg"}],
    }


async def registered(client: httpx.AsyncClient) -> dict[tuple[str, str], dict[str, Any]]:
    cases = {}
    for category, channel in EXPECTED:
        body = marked(category, channel)
        response = await client.post("/cases", json=body)
        assert response.status_code == 201, response.text
        cases[(category, channel)] = response.json() | {"sent": body}
    return cases


def params(reader: str, tenant: str = "torino") -> dict[str, str]:
    return {"jurisdiction_id": tenant} | ({"api_key": KEYS[reader][0]} if reader in KEYS else {})


def items(response: httpx.Response, fmt: str) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    if fmt == "json":
        body: list[dict[str, Any]] = response.json()
        return body
    return [{c.tag: c.text for c in item} for item in ET.fromstring(response.content)]


def personal(sent: dict[str, Any]) -> list[str]:
    citizen = sent["citizen"]
    return [citizen["name"], citizen["email"], citizen["phone"], citizen["phone"][-7:]]


async def listing(client: httpx.AsyncClient, reader: str, fmt: str = "json") -> httpx.Response:
    return await client.get(f"{V2}/requests.{fmt}", params=params(reader))


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_each_reader_sees_what_the_policy_and_its_key_allow(
    client: httpx.AsyncClient, fmt: str
) -> None:
    cases = await registered(client)

    async def all_indexed() -> bool:
        return len(items(await listing(client, "full"), "json")) == len(cases)

    await eventually(all_indexed)
    for reader, column in (("public", 0), ("plain", 0), ("social", 1), ("full", 2)):
        listed = await listing(client, reader, fmt)
        text = listed.text
        by_reference = {r["service_request_id"]: r for r in items(listed, fmt)}
        for (category, channel), case in cases.items():
            expected = EXPECTED[(category, channel)][column]
            sent = case["sent"]
            for secret in personal(sent):
                assert secret not in text, (reader, secret)
            lookup = await client.get(
                f"{V2}/requests/{case['reference']}.{fmt}", params=params(reader)
            )
            if expected is None:
                assert case["reference"] not in by_reference, (reader, category, channel)
                assert lookup.status_code == 404, (reader, category, channel)
                continue
            shown = by_reference[case["reference"]]
            assert items(lookup, fmt) == [shown]
            described = shown["description"] == sent["description"]
            assert described is expected, (reader, category, channel, shown)
            if not expected:
                assert sent["description"] not in text and not shown["description"]
                assert not shown["media_url"]
            assert shown["service_code"] == category and shown["status"] == "open"
            assert shown["requested_datetime"]
            assert_location(shown, reader)


def assert_location(shown: dict[str, Any], reader: str) -> None:
    lat, lon = (None, None) if shown["lat"] is None else (float(shown["lat"]), float(shown["long"]))
    if reader in ("full", "social"):  # their grants: the street only (the grant's default)
        assert (shown["address"], lat) == ("Via Roma", None)
    else:  # the public policy: the street and the centre of a 100 m cell
        assert shown["address"] == "Via Roma"
        assert (lat, lon) == snap_to_grid(LOCATION["lat"], LOCATION["lon"])
        assert (lat, lon) != (LOCATION["lat"], LOCATION["lon"])


async def test_an_exact_grant_sees_the_registered_location_but_no_contact(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    keys_file = tmp_path / "open311-keys.json"
    entries = json.loads(keys_file.read_text())
    entries[0]["sees"] = EXACT
    keys_file.write_text(json.dumps(entries))
    sent = marked("qualita_urbana", "web")
    case = (await client.post("/cases", json=sent)).json()

    async def shown() -> dict[str, Any] | None:
        url = f"{V2}/requests/{case['reference']}.json"
        response = await client.get(url, params=params("full"))
        return response.json()[0] if response.status_code == 200 else None

    view = await eventually(shown)
    assert (view["address"], view["lat"], view["long"]) == (
        LOCATION["address"],
        LOCATION["lat"],
        LOCATION["lon"],
    )
    assert view["description"] == sent["description"]
    assert not any(secret in json.dumps(view) for secret in personal(sent))


async def test_by_default_a_tenant_publishes_nothing(client: httpx.AsyncClient) -> None:
    sent = marked("parcheggi", "web") | {"tenant": "pisa"}
    case = (await client.post("/cases", json=sent)).json()
    url = f"{V2}/requests/{case['reference']}.json"

    async def indexed_for_its_key() -> bool:
        return (await client.get(url, params=params("pisa", "pisa"))).status_code == 200

    await eventually(indexed_for_its_key)
    assert (await client.get(url, params={"jurisdiction_id": "pisa"})).status_code == 404
    listed = await client.get(f"{V2}/requests.json", params={"jurisdiction_id": "pisa"})
    assert listed.status_code == 200 and listed.json() == []


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"api_key": "not-a-key"}, "api_key is not valid"),
        ({"api_key": KEYS["pisa"][0]}, "may not read requests of torino"),
    ],
)
async def test_a_wrong_key_is_refused_not_downgraded(
    client: httpx.AsyncClient, query: dict[str, str], says: str
) -> None:
    for path in ("requests.json", "requests/TO-2026-000001.json"):
        response = await client.get(f"{V2}/{path}", params={"jurisdiction_id": "torino"} | query)
        assert response.status_code == 403
        assert says in response.json()[0]["description"]
