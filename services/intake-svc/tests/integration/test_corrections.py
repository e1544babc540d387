"""Corrections and communication over HTTP: a case dismissed as a duplicate (linked to the
original), a duplicate merged (both files say so, both citizens can be told), staff-only notes
(never published, never on the citizen's page) and updates to the citizen (published, on their
page), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from sportello_devstack import open311_keys

from .conftest import eventually
from .test_citizen_api import REPORT
from .test_lifecycle_and_search import assign


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    served = open311_keys.provision(tmp_path, ["torino"], client="public-site")
    monkeypatch.setenv("OPEN311_KEYS_FILE", str(served))
    return {"X-Api-Key": str(open311_keys.key_for(tmp_path, "torino", client="public-site"))}


async def reported(client: httpx.AsyncClient, site: dict[str, str], n: int) -> dict[str, Any]:
    report = REPORT | {"submission_id": f"web-corr-{n:04d}-abcdef"}
    ack = await client.post("/citizen/v1/torino/reports", json=report, headers=site)
    assert ack.status_code == 201, ack.text
    body: dict[str, Any] = ack.json()
    return body


async def assigned(client: httpx.AsyncClient, nats_url: str, ack: dict[str, Any], seq: int) -> None:
    """Routing's decision, as routing's `seq`-th notification (each tracked once)."""
    case = (await client.get(f"/cases/{ack['case_id']}")).json()
    await assign(nats_url, case, "pm-reparto-5", seq)

    async def done() -> bool:
        view = (await client.get(f"/cases/{ack['case_id']}")).json()
        return bool(view["status"] == "assigned")

    await eventually(done)


async def searchable(client: httpx.AsyncClient, reference: str) -> None:
    async def found() -> bool:
        page = (await client.get("/cases", params={"reference": reference})).json()
        return bool(page["total"] == 1)

    await eventually(found)


async def test_duplicates_dismissed_and_merged_notes_and_updates(
    client: httpx.AsyncClient, site: dict[str, str], nats_url: str
) -> None:
    nc = await nats.connect(servers=[nats_url])
    published: list[dict[str, Any]] = []

    async def keep(msg: Any) -> None:
        published.append(json.loads(msg.data))

    await nc.subscribe("cases.torino.>", cb=keep)
    try:
        original, twice, again = [await reported(client, site, n) for n in (1, 2, 3)]
        for seq, ack in enumerate((original, twice, again), start=1):
            await assigned(client, nats_url, ack, seq)
        await searchable(client, original["reference"])
        oid, tid, aid = original["case_id"], twice["case_id"], again["case_id"]

        # not at the door any more: `reject` says what is possible now
        refused = await client.post(f"/cases/{tid}/reject", json={"reason": "doppione"})
        assert refused.status_code == 409
        assert {"dismiss", "merge"} <= set(refused.json()["possible_steps"])

        # a duplicate must name an existing other case of the tenant
        for wrong in ("TO-2099-999999", twice["reference"]):
            body = {"reason": "doppione", "duplicate_of": wrong}
            bad = await client.post(f"/cases/{tid}/dismiss", json=body)
            assert bad.status_code == 422, bad.text
            assert bad.json()["field"] == "duplicate_of"

        body = {"reason": "Già segnalato", "duplicate_of": original["reference"]}
        dismissed = await client.post(f"/cases/{tid}/dismiss", json=body)
        assert dismissed.status_code == 200, dismissed.text
        assert dismissed.json()["status"] == "rejected"
        assert dismissed.json()["timeline"][-1] | {"occurred_at": ""} == {
            "event": "rejected",
            "occurred_at": "",
            "actor": "developer",
            "reason": "Già segnalato",
            "duplicate_of": original["reference"],
        }

        merged = await client.post(
            f"/cases/{aid}/merge", json={"duplicate_of": original["reference"]}
        )
        assert merged.status_code == 200, merged.text
        assert merged.json()["status"] == "rejected"
        assert merged.json()["timeline"][-1]["event"] == "merged"
        assert merged.json()["timeline"][-1]["duplicate_of"] == original["reference"]
        on_original = (await client.get(f"/cases/{oid}")).json()
        assert on_original["status"] == "assigned"  # the office keeps handling it
        assert on_original["timeline"][-1]["event"] == "duplicate_merged"
        assert on_original["timeline"][-1]["duplicate"] == again["reference"]
        into_rejected = await client.post(
            f"/cases/{oid}/merge", json={"duplicate_of": twice["reference"]}
        )
        assert into_rejected.status_code == 409, into_rejected.text

        # a reclamo registered as a segnalazione: recategorised, routed again, its clocks
        recategorised = await client.post(
            f"/cases/{oid}/recategorise", json={"kind": "reclamo", "category": "convivenza_civile"}
        )
        assert recategorised.status_code == 200, recategorised.text
        assert recategorised.json()["kind"] == "reclamo"
        assert recategorised.json()["timeline"][-1]["event"] == "classified"
        same = await client.post(
            f"/cases/{oid}/recategorise", json={"kind": "reclamo", "category": "convivenza_civile"}
        )
        assert same.status_code == 409, same.text
        note = {"note": "La cittadina ha già chiamato tre volte: richiamare dopo le 17"}
        noted = await client.post(f"/cases/{oid}/note", json=note)
        assert noted.status_code == 200, noted.text
        assert noted.json()["status"] == "assigned"
        assert noted.json()["timeline"][-1]["note"] == note["note"]
        update = {"message": "Il sopralluogo dei tecnici è fissato per lunedì mattina."}
        updated = await client.post(f"/cases/{oid}/update-citizen", json=update)
        assert updated.status_code == 200, updated.text

        page = await client.get(
            f"/citizen/v1/torino/cases/{original['follow_token']}", headers=site
        )
        history = page.json()["history"]
        assert [s["step"] for s in history][-2:] == ["duplicate_merged", "citizen_updated"]
        assert "classified" not in [s["step"] for s in history]
        assert history[-1]["detail"] == update["message"]
        assert "richiamare" not in page.text and "noted" not in page.text
        merged_page = await client.get(
            f"/citizen/v1/torino/cases/{again['follow_token']}", headers=site
        )
        assert merged_page.json()["history"][-1] | {"at": None} == {
            **merged_page.json()["history"][-1],
            "step": "merged",
            "detail": original["reference"],
            "at": None,
        }

        def of(case_id: str) -> dict[str, dict[str, Any]]:
            return {
                e["type"].split(".")[3]: e["data"] for e in published if e["subject"] == case_id
            }

        async def all_out() -> bool:
            return "citizen_updated" in of(oid) and "rejected" in of(aid)

        await eventually(all_out)
        assert of(tid)["rejected"]["duplicate_of"] == original["reference"]
        assert of(tid)["rejected"]["merged"] is False
        assert of(aid)["rejected"] | {"occurred_at": None} == of(aid)["rejected"] | {
            "duplicate_of": original["reference"],
            "merged": True,
            "occurred_at": None,
        }
        assert of(oid)["duplicate_merged"]["duplicate_reference"] == again["reference"]
        assert of(oid)["classified"] | {"occurred_at": None} == of(oid)["classified"] | {
            "kind": "reclamo",
            "category": "convivenza_civile",
            "previous_category": "decoro_pulizia",
            "occurred_at": None,
        }
        assert of(oid)["citizen_updated"]["has_message"] is True
        assert "sopralluogo" not in json.dumps(published)  # the text is not on the stream
        assert "richiamare" not in json.dumps(published) and "noted" not in of(oid)
    finally:
        await nc.close()
