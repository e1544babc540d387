"""Issue 19's acceptance tests, on the whole stack as processes, on SQLite and on PostgreSQL.

Cases are registered through every channel (operator API, Open311, the citizens' API, a
platform on `ingest.<tenant>.<source>`, an e-mail and a voicemail in the Maildirs, two malformed
platform messages that end in the DLQ) with a random marker in the description, the name, the
e-mail, the phone and the office's texts. Then:
(a) no stream (every message, payload and headers, read raw) and no public Open311 answer shows
    a marker;
(b) after the erasure, no store (raw, decrypted with the store key, read through its vault),
    stream, DLQ, log or NATS file holds one; before it, the same dump does (the scan can fail).
"""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import nats
import psycopg
import pytest
from psycopg import sql
from sportello_contracts import wrap
from sportello_devstack import mail_corpus as corpus
from sportello_devstack.open311_keys import key_for
from sportello_devstack.scanning import (
    Found,
    read_streams_sync,
    stack_files,
    stack_stores,
    where_found,
)
from sportello_devstack.stack import SERVICES, Stack
from sportello_devstack.testing import eventually_sync as eventually
from sportello_shared.bus.streams import STREAMS

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(300),
    pytest.mark.filterwarnings("ignore:Pydantic serializer warnings"),  # the invalid ingest
]
TOKEN = f"zq{secrets.token_hex(5)}"  # z and q are not hex: no digest or ciphertext spells it
PHONE = f"3{secrets.randbelow(10**9):09d}"
EMAIL = f"ada.{TOKEN}@example.org"
NAME = f"Ada Marker{TOKEN}"
MARKERS = (TOKEN, PHONE)
WORKABLE = ("assigned", "routing_failed")  # the mailbox's cases go to the triage office
CITIZEN = {"name": NAME, "email": EMAIL, "phone": f"+39{PHONE}"}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    pg: dict[str, Any] = {}
    if request.param == "postgres":
        pg = {
            "database_url": request.getfixturevalue("database_url"),
            "database_schema_prefix": f"p19_{uuid.uuid4().hex[:8]}",
        }
    running = Stack.on_free_ports(
        tmp_path_factory.mktemp(f"privacy-{request.param}"),
        extra_env={"RELAY_POLL_INTERVAL": "0.05", "LOG_LEVEL": "DEBUG"},
        **pg,
    ).start()
    yield running
    running.stop()
    if pg:
        with psycopg.connect(pg["database_url"], autocommit=True) as conn:
            for name in SERVICES:
                schema = f"{pg['database_schema_prefix']}_{name}"
                conn.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
                )


def post(url: str, body: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    response = httpx.post(url, json=body, timeout=10, **kwargs)
    assert response.status_code in (200, 201, 202), (url, response.text)
    return dict(response.json())


def ingest(stack: Stack, source: str, payload: dict[str, Any] | bytes) -> None:
    async def publish() -> None:
        nc = await nats.connect(servers=[stack.nats_url])
        try:
            data = payload if isinstance(payload, bytes) else _envelope(payload)
            await nc.jetstream().publish(f"ingest.torino.{source}", data)
        finally:
            await nc.close()

    asyncio.run(publish())


def _envelope(fields: dict[str, Any]) -> bytes:
    from sportello_contracts.ingest import CaseSubmitted

    payload = CaseSubmitted.model_construct(**fields)  # the DLQ cases are invalid on purpose
    return wrap(
        payload,
        aggregate_id="ext",
        aggregate_version=1,
        source="/platform/segnalaci",
        subject="new",
        time=datetime.now(UTC),
        tenant="torino",
        organization="unassigned",
        traceparent=None,
    ).to_bytes()


def drop(stack: Stack, box: str, name: str, raw: bytes) -> None:
    maildir = stack.data_dir / "inbox" / "torino" / box
    (maildir / "tmp" / name).write_bytes(raw)
    (maildir / "tmp" / name).rename(maildir / "new" / name)


def submitted(external_id: str, category: str = "qualita_urbana") -> dict[str, Any]:
    return {
        "external_id": external_id,
        "kind": "segnalazione",
        "category": category,
        "description": f"Buca profonda in strada {TOKEN}",
        "citizen": CITIZEN,
    }


def register_everywhere(stack: Stack) -> None:
    intake = stack.url("intake")
    description = f"Rumori notturni dal locale, segnala {TOKEN}"
    for channel in ("phone", "counter", "email"):
        body = {
            "tenant": "torino",
            "kind": "segnalazione",
            "channel": channel,
            "category": "convivenza_civile",
            "description": description,
            "citizen": CITIZEN,
        }
        post(f"{intake}/cases", body)
    open311 = {
        "api_key": key_for(stack.data_dir, "rescaldina"),
        "jurisdiction_id": "rescaldina",
        "service_code": "illuminazione_pubblica",
        "description": f"Lampione spento {TOKEN}",
        "email": EMAIL,
        "phone": f"+39{PHONE}",
        "first_name": "Ada",
        "last_name": f"Marker{TOKEN}",
        "lat": "45.6170",
        "long": "8.9480",
    }
    response = httpx.post(f"{intake}/open311/v2/requests.json", data=open311, timeout=10)
    assert response.status_code == 201, response.text
    report = {
        "submission_id": f"sub{secrets.token_hex(6)}",
        "category": "decoro_pulizia",
        "title": f"Rifiuti {TOKEN}",
        "details": f"Cassonetti pieni da giorni {TOKEN}",
        "citizen": {"name": NAME, "email": EMAIL},
    }
    key = {"x-api-key": key_for(stack.data_dir, "torino", "public-site") or ""}
    post(f"{intake}/citizen/v1/torino/reports", report, headers=key)
    ingest(stack, "segnalaci", submitted("SEGN-1"))
    ingest(stack, "segnalaci", submitted("SEGN-2", category="astronavi"))  # to the DLQ, sealed
    ingest(stack, "segnalaci", f'{{"not an event": "{TOKEN} {EMAIL} {PHONE}"'.encode())
    sender = f"{NAME} <{EMAIL}>"
    drop(stack, "email", "m1", corpus.citizen_mail(sender=sender, text=f"Ciao {TOKEN}\n"))
    drop(stack, "voicemail", "v1", corpus.asterisk_voicemail(PHONE, NAME))


def torino_and_rescaldina_cases(stack: Stack) -> list[dict[str, Any]]:
    intake = stack.url("intake")
    rows = [
        row
        for tenant in ("torino", "rescaldina")
        for row in httpx.get(f"{intake}/cases", params={"tenant": tenant}, timeout=10).json()[
            "items"
        ]
    ]
    return [httpx.get(f"{intake}/cases/{r['case_id']}", timeout=10).json() for r in rows]


def all_assigned(stack: Stack) -> list[dict[str, Any]] | None:
    cases = torino_and_rescaldina_cases(stack)
    return cases if len(cases) == 8 and all(c["status"] in WORKABLE for c in cases) else None


def quiet(stack: Stack) -> bool:
    """Every durable consumer of every stream has nothing pending or unacknowledged."""

    async def pending() -> int:
        nc = await nats.connect(servers=[stack.nats_url])
        try:
            js = nc.jetstream()
            infos = [i for s in STREAMS for i in await js.consumers_info(s.name)]
            return sum(i.num_pending + i.num_ack_pending for i in infos)
        finally:
            await nc.close()

    return asyncio.run(pending()) == 0 and asyncio.run(pending()) == 0


@pytest.fixture(scope="module")
def worked(stack: Stack) -> list[dict[str, Any]]:
    """Every case registered, routed, one reassigned by hand, taken in charge, contacted and
    closed with the office's texts; the citizen asks to reopen the web one."""
    register_everywhere(stack)
    cases = eventually(lambda: all_assigned(stack), timeout=60)
    intake, routing = stack.url("intake"), stack.url("routing")
    first = cases[0]["case_id"]
    post(
        f"{routing}/assignments/{first}/reassign",
        {"organization": "pm-reparto-5", "reason": f"Il cittadino {TOKEN} ha richiamato"},
    )
    for case in cases:
        url = f"{intake}/cases/{case['case_id']}"
        eventually(lambda u=url: httpx.get(u, timeout=10).json()["status"] in WORKABLE)
        post(f"{url}/take-in-charge", {"operator": "anna"})
        post(f"{url}/contact", {"means": "phone", "note": f"Richiamato il {PHONE}, {TOKEN}"})
        post(f"{url}/close", {"outcome": f"Risolto per {NAME}"})
    web = next(c for c in cases if c["channel"] == "web")
    key = {"x-api-key": key_for(stack.data_dir, "torino", "public-site") or ""}
    token = post(
        f"{intake}/citizen/v1/torino/lookup",
        {"reference": web["reference"], "email": EMAIL},
        headers=key,
    )["follow_token"]
    post(
        f"{intake}/citizen/v1/torino/cases/{token}/reopen-request",
        {"reason": f"Non è risolto affatto {TOKEN}"},
        headers=key,
    )
    eventually(lambda: quiet(stack), timeout=60)
    return cases


def everything_on_the_streams(stack: Stack) -> list[Found]:
    return [found for messages in read_streams_sync(stack.nats_url).values() for found in messages]


def test_a_no_stream_and_no_public_answer_shows_a_marker(
    stack: Stack, worked: list[dict[str, Any]]
) -> None:
    streams = read_streams_sync(stack.nats_url)
    assert len(streams["CASES"]) > 8 * 5 and len(streams["NOTIFICATIONS"]) >= 8
    assert len(streams["DLQ"]) >= 2 and streams["INGEST"] == []  # handled ones are deleted
    assert where_found(MARKERS, everything_on_the_streams(stack)) == []
    assert where_found((*MARKERS, EMAIL), [("control", f"x {EMAIL} y")])  # the check can fail

    open311 = f"{stack.url('intake')}/open311/v2"
    answers = [
        httpx.get(f"{open311}/requests.json", params={"jurisdiction_id": t}, timeout=10)
        for t in ("torino", "rescaldina")
    ] + [
        httpx.get(
            f"{open311}/requests/{c['reference']}.json",
            params={"jurisdiction_id": c["tenant"]},
            timeout=10,
        )
        for c in worked
    ]
    listed = answers[1].json()
    assert [r["service_code"] for r in listed] == ["illuminazione_pubblica"]  # it is public
    assert where_found(MARKERS, [(str(a.url), a.text) for a in answers]) == []


def test_b_after_the_erasure_no_marker_is_readable_anywhere(
    stack: Stack, worked: list[dict[str, Any]]
) -> None:
    before = where_found(MARKERS, stack_stores(stack))
    assert any(TOKEN in f for f in before) and any(PHONE in f for f in before)

    report = post(f"{stack.url('intake')}/admin/erasures", {"email": EMAIL, "phone": f"+39{PHONE}"})
    erased = {c["case_id"] for c in report["cases"]}
    for case in worked:
        if case["case_id"] not in erased:  # another tenant's pseudonyms: erased by its case
            more = post(f"{stack.url('intake')}/admin/erasures", {"case_id": case["case_id"]})
            erased |= {c["case_id"] for c in more["cases"]}
    assert erased == {c["case_id"] for c in worked}
    eventually(lambda: quiet(stack), timeout=60)

    def leftovers() -> list[str]:
        return where_found(MARKERS, stack_stores(stack) + everything_on_the_streams(stack))

    found = leftovers()
    for _ in range(100):  # the other services erase their copies when case.personal_data_erased
        if not found:
            break
        time.sleep(0.3)
        found = leftovers()
    assert found == []
    assert where_found(MARKERS, stack_files(stack)) == []
    dlq = httpx.get(f"{stack.url('intake')}/admin/dlq", timeout=10)
    assert dlq.status_code == 200 and where_found(MARKERS, [("dlq", dlq.text)]) == []
