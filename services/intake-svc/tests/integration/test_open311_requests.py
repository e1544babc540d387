"""Open311 GeoReport v2 service requests and tokens on the live app (real NATS, both stores)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import httpx
import nats
import pytest
from sportello_contracts import EventPayload, wrap
from sportello_contracts.cases import CaseAssigned
from sportello_contracts.sla import SlaDeadlineSet
from sportello_devstack import open311_keys
from sportello_shared.bus import headers

from .conftest import REGISTRATION, client_of, eventually, settings_for

V2 = "/open311/v2"
TORINO_KEY = "chiave-di-prova-torino-0123456789"
PISA_KEY = "chiave-di-prova-pisa-0123456789"
OTHER_APP_KEY = "chiave-di-prova-altra-app-0123456789"
PUBLIC_APP_KEY = "chiave-di-prova-app-pubblica-0123456789"  # a plain key, granted nothing
# demo-app reads everything (test_open311_publication.py covers the policy): no key sees nothing
READER_KEY = {"torino": TORINO_KEY, "pisa": PISA_KEY}
SEES_ALL = {"categories": "*", "description": True, "location": "exact"}
FORM = {
    "jurisdiction_id": "torino",
    "service_code": "decoro_pulizia",
    "lat": "45.07",
    "long": "7.68",
    "address_string": "Via Roma 1, Torino",
    "first_name": "Maria",
    "last_name": "Rossi",
    "email": "maria.rossi@example.org",
    "phone": "+39 011 1234567",
    "description": "Cassonetti traboccanti in via Roma",
    "media_url": "https://foto.example.org/cassonetti.jpg",
}
REFERENCE = re.compile(r"^TO-\d{4}-\d{6}$")


@pytest.fixture(autouse=True)
def api_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Keys as intake reads them: digests only, per client platform and tenant."""
    issued = [
        ("demo-app", "torino", TORINO_KEY),
        ("demo-app", "pisa", PISA_KEY),
        ("altra-app", "torino", OTHER_APP_KEY),
        ("app-pubblica", "rescaldina", PUBLIC_APP_KEY),
    ]
    path = tmp_path / "open311-keys.json"
    path.write_text(
        json.dumps(
            [
                {"client": c, "tenant": t, "sha256": hashlib.sha256(k.encode()).hexdigest()}
                | ({"sees": SEES_ALL} if c == "demo-app" else {})
                for c, t, k in issued
            ]
        )
    )
    monkeypatch.setenv("OPEN311_KEYS_FILE", str(path))
    yield path


def items(response: httpx.Response, fmt: str) -> list[dict[str, Any]]:
    """`service_requests` (or `errors`) from either format; XML values come back as text."""
    if fmt == "json":
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        body: list[dict[str, Any]] = response.json()
        return body
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(response.content)
    assert root.tag in ("service_requests", "errors")
    return [{c.tag: c.text for c in item} for item in root]


async def submit(
    client: httpx.AsyncClient,
    fmt: str = "json",
    key: str = TORINO_KEY,
    idempotency_key: str | None = None,
    **changes: str,
) -> httpx.Response:
    form = {k: v for k, v in (FORM | {"api_key": key} | changes).items() if v is not None}
    extra = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    return await client.post(f"{V2}/requests.{fmt}", data=form, headers=extra)


async def submitted(client: httpx.AsyncClient, **changes: str) -> dict[str, Any]:
    response = await submit(client, **changes)
    assert response.status_code == 201, response.text
    return items(response, "json")[0]


async def request_view(
    client: httpx.AsyncClient, reference: str, fmt: str = "json", tenant: str = "torino"
) -> dict[str, Any]:
    """GET requests/{id} once the operators' index has it (it follows the log within ms)."""

    async def found() -> httpx.Response | None:
        response = await client.get(
            f"{V2}/requests/{reference}.{fmt}",
            params={"jurisdiction_id": tenant, "api_key": READER_KEY[tenant]},
        )
        return response if response.status_code == 200 else None

    [view] = items(await eventually(found), fmt)
    return view


async def publish(nats_url: str, subject: str, payload: EventPayload, case: str) -> None:
    """As routing-svc or sla-svc would: one producer per kind of payload, tracked apart."""
    now = datetime.now(UTC)
    envelope = wrap(
        payload,
        aggregate_id=f"{type(payload).__name__}-{case}",
        aggregate_version=1,
        source="/test",
        subject=case,
        time=now,
        tenant="torino",
        organization="pm-reparto-5",
        traceparent=None,
    )
    nc = await nats.connect(servers=[nats_url])
    try:
        await nc.jetstream().publish(
            subject,
            envelope.to_bytes(),
            headers={
                headers.MSG_ID: envelope.id,
                headers.PRODUCER: type(payload).__name__,
                headers.NOTIFICATION_ID: "1",
            },
        )
    finally:
        await nc.close()


async def assign(nats_url: str, receipt: dict[str, Any]) -> None:
    payload = CaseAssigned(
        case_id=receipt["token"],
        reference=receipt["service_request_id"],
        occurred_at=datetime.now(UTC),
        organization="pm-reparto-5",
        organization_name="Corpo di Polizia Municipale - Reparto 5",
        rule_id="category:decoro_pulizia",
        rule_version=1,
        reasons=["test"],
    )
    await publish(nats_url, "cases.torino.pm-reparto-5.assigned", payload, receipt["token"])


# --- POST requests ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_a_citizen_report_becomes_a_case_with_its_reference(
    client: httpx.AsyncClient, fmt: str
) -> None:
    response = await submit(client, fmt)
    assert response.status_code == 201, response.text
    [receipt] = items(response, fmt)
    assert REFERENCE.match(receipt["service_request_id"])
    assert receipt["service_request_id"] in receipt["service_notice"]

    case = (await client.get(f"/cases/{receipt['token']}")).json()
    assert case["reference"] == receipt["service_request_id"]
    assert case["channel"] == "open311"
    assert case["kind"] == "segnalazione"
    assert case["category"] == "decoro_pulizia"
    assert case["status"] == "received"

    view = await request_view(client, receipt["service_request_id"], fmt)
    assert view["service_request_id"] == receipt["service_request_id"]
    assert view["status"] == "open"
    assert view["status_notes"] == "Ricevuta"
    assert view["service_code"] == "decoro_pulizia"
    assert view["service_name"] == "Decoro e pulizia della città"
    assert view["description"] == FORM["description"]
    assert view["address"] == FORM["address_string"]
    assert float(view["lat"]) == 45.07 and float(view["long"]) == 7.68
    assert view["media_url"] == FORM["media_url"]
    assert view["agency_responsible"] is None and view["expected_datetime"] is None
    requested = datetime.fromisoformat(view["requested_datetime"])
    assert requested.utcoffset() in (timedelta(hours=1), timedelta(hours=2))  # Europe/Rome
    assert abs(datetime.now(UTC) - requested) < timedelta(minutes=1)
    assert view["updated_datetime"] == view["requested_datetime"]


async def test_the_citizen_personal_data_is_on_the_file_but_never_published(
    client: httpx.AsyncClient,
) -> None:
    receipt = await submitted(client)
    view = await request_view(client, receipt["service_request_id"])
    published = json.dumps(view)
    for personal in ("Rossi", "maria.rossi@example.org", "1234567"):
        assert personal not in published


async def test_the_kind_attribute_and_a_missing_description(client: httpx.AsyncClient) -> None:
    receipt = await submitted(
        client,
        **{
            "attribute[kind]": "reclamo",
            "service_code": "reclami_polizia_municipale",
            "description": "",
        },
    )
    case = (await client.get(f"/cases/{receipt['token']}")).json()
    assert case["kind"] == "reclamo"
    view = await request_view(client, receipt["service_request_id"])
    assert view["description"] == "Reclami sui servizi della Polizia Municipale"


async def test_jurisdiction_defaults_to_the_key_tenant(client: httpx.AsyncClient) -> None:
    receipt = await submitted(client, jurisdiction_id="", key=PISA_KEY, service_code="parcheggi")
    assert receipt["service_request_id"].startswith("PI-")
    assert (await client.get(f"/cases/{receipt['token']}")).json()["tenant"] == "pisa"


async def test_the_same_idempotency_key_gives_the_same_case(client: httpx.AsyncClient) -> None:
    first = await submit(client, idempotency_key="app-4711")
    again = await submit(client, idempotency_key="app-4711")
    assert (first.status_code, again.status_code) == (201, 200)
    assert items(first, "json") == items(again, "json")

    # another platform's key space is its own: same header, another case
    other = await submit(client, key=OTHER_APP_KEY, idempotency_key="app-4711")
    assert other.status_code == 201
    assert other.json()[0]["service_request_id"] != first.json()[0]["service_request_id"]

    without = [await submit(client) for _ in range(2)]
    assert without[0].json()[0]["token"] != without[1].json()[0]["token"]

    changed = await submit(client, idempotency_key="app-4711", description="Altro")
    assert changed.status_code == 400
    assert "Idempotency-Key" in changed.json()[0]["description"]


# Each refusal: the key, the form's changes, the status and what the error says.
REFUSALS: list[tuple[str | None, dict[str, str | None], int, str]] = [
    (None, {}, 403, "api_key was not provided"),
    ("not-a-key", {}, 403, "api_key is not valid"),
    (PISA_KEY, {}, 403, "may not submit requests to torino"),
    (TORINO_KEY, {"jurisdiction_id": "pisa"}, 403, "may not submit requests to pisa"),
    (TORINO_KEY, {"jurisdiction_id": "atlantide"}, 404, "jurisdiction_id atlantide"),
    (TORINO_KEY, {"service_code": None}, 400, "service_code was not provided"),
    (TORINO_KEY, {"service_code": "parcheggi"}, 404, "service_code parcheggi"),
    (TORINO_KEY, {"first_name": None, "last_name": None}, 400, "first_name/last_name"),
    (TORINO_KEY, {"email": None, "phone": ""}, 400, "email/phone"),
    (TORINO_KEY, {"email": "non-una-email"}, 400, "email"),
    (TORINO_KEY, {"phone": "chiamatemi"}, 400, "phone"),
    (TORINO_KEY, {"phone": "000000", "email": None}, 400, "citizen.phone: the phone number"),
    (
        TORINO_KEY,
        {"lat": None, "long": None, "address_string": None},
        400,
        "lat/long, address_string or address_id was not provided",
    ),
    (TORINO_KEY, {"long": None}, 400, "lat/long"),
    (TORINO_KEY, {"lat": "95"}, 400, "lat"),
    (TORINO_KEY, {"long": "sette"}, 400, "long"),
    (TORINO_KEY, {"description": "x" * 4001}, 400, "description"),
    (TORINO_KEY, {"media_url": "ftp://x"}, 400, "media_url"),
    (TORINO_KEY, {"attribute[kind]": "lamentela"}, 400, "attribute[kind]"),
    (TORINO_KEY, {"attribute[colore]": "rosso"}, 400, "attribute[colore]"),
    (TORINO_KEY, {"nickname": "mr"}, 400, "nickname"),
]


@pytest.fixture
async def unthrottled(store: dict[str, str], nats_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """One client posting forty times in a row (the per-client rate limit is tested apart).

    Unlimited for real: at 10,000 a minute (167/s) a fast machine's in-process requests, two
    per refusal, emptied the bucket of ten and the eleventh refusal was a 429."""
    unlimited = settings_for(store, nats_url, OPEN311_RATE_PER_MINUTE=10_000_000)
    async with client_of(unlimited) as client:
        yield client


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_refused_submissions_follow_the_spec_and_register_nothing(
    unthrottled: httpx.AsyncClient, fmt: str, subtests: pytest.Subtests
) -> None:
    """Every refusal a subtest of its own, on one running service per store and format (a boot
    for each cost the suite a minute and a half, issue 24)."""
    client = unthrottled
    last = 0  # the year's numbers taken so far: a refusal takes none
    for key, changes, status, says in REFUSALS:
        with subtests.test(msg=says, key=key, changes=changes):
            form = {k: v for k, v in (FORM | {"api_key": key} | changes).items() if v is not None}
            response = await client.post(f"{V2}/requests.{fmt}", data=form)
            assert response.status_code == status, response.text
            errors = items(response, fmt)
            assert all(str(e["code"]) == str(status) for e in errors), errors
            assert any(says in str(e["description"]) for e in errors), errors
            # nothing was registered: the next good one takes the next number of the year
            accepted = (await submit(client)).json()[0]["service_request_id"]
            taken_before, last = last, int(accepted.rsplit("-", 1)[1])
            assert last == taken_before + 1, accepted


async def test_an_anonymous_report_hears_both_what_is_missing(client: httpx.AsyncClient) -> None:
    response = await submit(client, first_name="", last_name="", email="", phone="")
    assert response.status_code == 400
    descriptions = [e["description"] for e in response.json()]
    assert len(descriptions) == 2
    assert "nome e cognome" in descriptions[0] and "recapito" in descriptions[1]


async def test_a_last_name_and_a_phone_are_enough(client: httpx.AsyncClient) -> None:
    receipt = await submitted(client, first_name="", email="")
    assert REFERENCE.match(receipt["service_request_id"])


@pytest.mark.parametrize(
    ("content", "content_type", "says"),
    [
        (json.dumps(FORM | {"api_key": TORINO_KEY}), "application/json", "form-encoded"),
        ("api_key=" + TORINO_KEY + "&email=a@b.it&email=c@d.it", None, "more than once"),
    ],
)
async def test_unreadable_posts_are_refused(
    client: httpx.AsyncClient, content: str, content_type: str | None, says: str
) -> None:
    response = await client.post(
        f"{V2}/requests.json",
        content=content,
        headers={"content-type": content_type or "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert says in response.json()[0]["description"]


async def test_an_oversized_post_is_refused_at_the_edge(client: httpx.AsyncClient) -> None:
    content = "api_key=" + TORINO_KEY + "&description=" + "x" * 70_000
    response = await client.post(
        f"{V2}/requests.json",
        content=content,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413  # shared EdgeLimits, before any handler


async def test_a_file_upload_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"{V2}/requests.json",
        data=FORM | {"api_key": TORINO_KEY},
        files={"media": ("foto.jpg", b"\xff\xd8", "image/jpeg")},
    )
    assert response.status_code == 400
    assert "media" in response.json()[0]["description"]


async def test_a_revoked_key_is_refused_without_a_restart(
    client: httpx.AsyncClient, api_keys: Path
) -> None:
    assert (await submit(client)).status_code == 201
    api_keys.write_text("[]")
    assert (await submit(client)).status_code == 403


async def test_the_keys_make_run_provisions_open_their_tenant_only(
    client: httpx.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = open311_keys.provision(tmp_path, ["torino", "pisa"])
    assert open311_keys.provision(tmp_path, ["torino", "pisa"]) == served  # kept, not remade
    assert TORINO_KEY not in served.read_text()  # intake gets digests only
    monkeypatch.setenv("OPEN311_KEYS_FILE", str(served))
    torino, pisa = (open311_keys.key_for(tmp_path, t) for t in ("torino", "pisa"))
    assert torino and pisa and torino != pisa
    assert torino not in served.read_text()
    assert (await submit(client, key=torino)).status_code == 201
    assert (await submit(client, key=pisa)).status_code == 403
    assert (await submit(client, key=TORINO_KEY)).status_code == 403  # not in this file


# --- GET request, requests, tokens ------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_routing_and_sla_show_as_agency_and_expected_datetime(
    client: httpx.AsyncClient, nats_url: str, fmt: str
) -> None:
    receipt = await submitted(client)
    await assign(nats_url, receipt)
    deadline = datetime.now(UTC).replace(microsecond=0) + timedelta(days=5)
    clock = SlaDeadlineSet(
        case_id=receipt["token"],
        standard="first_contact_5wd",
        policy_version=1,
        started_at=datetime.now(UTC),
        deadline=deadline,
    )
    await publish(nats_url, "sla.torino.pm-reparto-5.deadline_set", clock, receipt["token"])

    async def routed_and_promised() -> dict[str, Any] | None:
        view = await request_view(client, receipt["service_request_id"], fmt)
        return view if view["agency_responsible"] and view["expected_datetime"] else None

    view = await eventually(routed_and_promised)
    assert view["agency_responsible"] == "Corpo di Polizia Municipale - Reparto 5"
    assert datetime.fromisoformat(view["expected_datetime"]) == deadline
    assert view["status_notes"] == "Assegnata all'ufficio competente"
    updated = datetime.fromisoformat(view["updated_datetime"])
    assert updated >= datetime.fromisoformat(view["requested_datetime"])


async def test_a_closed_case_is_closed_with_the_outcome_for_the_citizen(
    client: httpx.AsyncClient, nats_url: str
) -> None:
    receipt = await submitted(client)
    case_url = f"/cases/{receipt['token']}"
    await assign(nats_url, receipt)

    async def assigned() -> bool:
        return bool((await client.get(case_url)).json()["status"] == "assigned")

    await eventually(assigned)
    for action, body in [
        ("take-in-charge", {"operator": "anna"}),
        ("contact", {"means": "phone", "note": "numero privato 333", "actor": "anna"}),
    ]:
        assert (await client.post(f"{case_url}/{action}", json=body)).status_code == 200

    async def contacted() -> dict[str, Any] | None:
        view = await request_view(client, receipt["service_request_id"])
        return view if view["status_notes"] != "Ricevuta" else None

    view = await eventually(contacted)
    assert view["status"] == "open"
    assert "333" not in view["status_notes"]  # an office's note is not for publication

    closing = {"outcome": "Cassonetti svuotati il 6/12", "actor": "anna"}
    assert (await client.post(f"{case_url}/close", json=closing)).status_code == 200

    async def closed() -> dict[str, Any] | None:
        view = await request_view(client, receipt["service_request_id"], "xml")
        return view if view["status"] == "closed" else None

    view = await eventually(closed)
    assert view["status_notes"] == "Chiusa: Cassonetti svuotati il 6/12"
    assert view["expected_datetime"] is None


async def test_a_refused_case_is_closed_with_the_reason(client: httpx.AsyncClient) -> None:
    case = (
        await client.post(
            "/cases", json=REGISTRATION | {"out_of_scope": "emergenza: chiamare il 112"}
        )
    ).json()
    view = await request_view(client, case["reference"])
    assert view["status"] == "closed"
    assert view["status_notes"] == "Non accolta: emergenza: chiamare il 112"


async def test_requests_are_listed_with_the_spec_filters(client: httpx.AsyncClient) -> None:
    old = (
        await client.post(
            "/cases",
            json=REGISTRATION
            | {"received_at": (datetime.now(UTC) - timedelta(days=100)).isoformat()},
        )
    ).json()
    decoro = [await submitted(client) for _ in range(2)]
    convivenza = await submitted(client, service_code="convivenza_civile")
    pisa = await submitted(client, key=PISA_KEY, jurisdiction_id="pisa", service_code="parcheggi")
    refused = {
        "out_of_scope": "emergenza: 112",
        "received_at": datetime.now(UTC).isoformat(),
        "category": "qualita_urbana",
    }
    closed = (await client.post("/cases", json=REGISTRATION | refused)).json()
    newest_first = [closed["reference"], convivenza["service_request_id"]] + [
        r["service_request_id"] for r in reversed(decoro)
    ]

    async def listed(fmt: str = "json", **params: str) -> list[str]:
        response = await client.get(
            f"{V2}/requests.{fmt}",
            params={"jurisdiction_id": "torino", "api_key": TORINO_KEY, **params},
        )
        assert response.status_code == 200, response.text
        return [r["service_request_id"] for r in items(response, fmt)]

    async def all_indexed() -> bool:
        return await listed() == newest_first

    await eventually(all_indexed)  # the last 90 days by default: not the old one, not Pisa
    assert await listed("xml") == newest_first
    assert await listed(service_code="decoro_pulizia,convivenza_civile") == newest_first[1:]
    assert await listed(service_code="convivenza_civile") == [convivenza["service_request_id"]]
    assert await listed(status="closed") == [closed["reference"]]
    assert await listed(status="open") == newest_first[1:]
    assert await listed(status="open,closed") == newest_first

    wanted = [pisa["service_request_id"], old["reference"], decoro[0]["service_request_id"]]
    # a list of ids overrides every other filter, stays within the jurisdiction
    assert sorted(await listed(service_request_id=",".join(wanted), status="closed")) == sorted(
        [old["reference"], decoro[0]["service_request_id"]]
    )
    then = datetime.now(UTC) - timedelta(days=100)
    assert await listed(
        start_date=(then - timedelta(days=1)).isoformat(),
        end_date=(then + timedelta(days=1)).isoformat(),
    ) == [old["reference"]]
    # an end date alone looks 90 days back; a date without an offset is the city's time
    assert await listed(end_date=(then + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")) == [
        old["reference"]
    ]
    assert await listed(start_date=(datetime.now(UTC) + timedelta(days=1)).isoformat()) == []


# Each refused listing: the query's changes, the status and what the error says.
LISTING_ERRORS: list[tuple[dict[str, str | None], int, str]] = [
    ({"jurisdiction_id": None}, 400, "jurisdiction_id was not provided"),
    ({"jurisdiction_id": "atlantide"}, 404, "jurisdiction_id atlantide"),
    (
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
        400,
        "more than 90 days",
    ),
    (
        {"start_date": "2026-06-01T00:00:00Z", "end_date": "2026-05-01T00:00:00Z"},
        400,
        "before start_date",
    ),
    ({"start_date": "ieri"}, 400, "start_date"),
    ({"status": "archived"}, 400, "status: archived is not one of closed, open"),
    ({"service_code": "decoro_pulizia,parcheggi"}, 404, "service_code parcheggi"),
]


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_listing_errors_follow_the_spec(
    client: httpx.AsyncClient, fmt: str, subtests: pytest.Subtests
) -> None:
    """Each refused listing a subtest, on one running service per store and format."""
    for params, status, says in LISTING_ERRORS:
        with subtests.test(msg=says, params=params):
            query = {
                k: v for k, v in ({"jurisdiction_id": "torino"} | params).items() if v is not None
            }
            response = await client.get(f"{V2}/requests.{fmt}", params=query)
            assert response.status_code == status, response.text
            [error] = items(response, fmt)
            assert str(error["code"]) == str(status)
            assert says in str(error["description"])


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_a_request_of_another_jurisdiction_is_not_found(
    client: httpx.AsyncClient, fmt: str
) -> None:
    receipt = await submitted(client)
    await request_view(client, receipt["service_request_id"])
    elsewhere = await client.get(
        f"{V2}/requests/{receipt['service_request_id']}.{fmt}", params={"jurisdiction_id": "pisa"}
    )
    assert elsewhere.status_code == 404
    assert "service_request_id" in str(items(elsewhere, fmt)[0]["description"])
    missing = await client.get(f"{V2}/requests/TO-2026-999999.{fmt}")
    assert missing.status_code == 400  # no jurisdiction_id


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_a_token_leads_to_the_request(client: httpx.AsyncClient, fmt: str) -> None:
    receipt = await submitted(client)
    url = f"{V2}/tokens/{receipt['token']}.{fmt}"
    response = await client.get(url, params={"jurisdiction_id": "torino"})
    assert response.status_code == 200
    assert items(response, fmt) == [
        {"service_request_id": receipt["service_request_id"], "token": receipt["token"]}
    ]
    for params, token in [
        ({"jurisdiction_id": "pisa"}, receipt["token"]),
        ({"jurisdiction_id": "torino"}, "00000000-0000-0000-0000-000000000000"),
        ({"jurisdiction_id": "torino"}, "non-un-token"),
    ]:
        missing = await client.get(f"{V2}/tokens/{token}.{fmt}", params=params)
        assert missing.status_code == 404
        assert "token" in str(items(missing, fmt)[0]["description"])


async def test_a_case_from_another_channel_has_no_token(client: httpx.AsyncClient) -> None:
    case = (await client.post("/cases", json=REGISTRATION)).json()
    response = await client.get(
        f"{V2}/tokens/{case['case_id']}.json", params={"jurisdiction_id": "torino"}
    )
    assert response.status_code == 404
