"""Pisa's handling modes as acts, over HTTP on SQLite and PostgreSQL: an information call
answered on the spot (registered and closed in one step, not for routing), and a callback
promised, the office consulted, the call transferred and the callback made (what stops the
24-hour clock), each on the file and on the bus."""

from __future__ import annotations

import json
from typing import Any

import httpx
import nats

from .conftest import REGISTRATION, eventually
from .test_lifecycle_and_search import assign

CALL: dict[str, Any] = REGISTRATION | {
    "tenant": "pisa",
    "kind": "richiesta_informazioni",
    "channel": "phone",
    "category": "tributi",
    "description": "Chiede se la TARI si paga anche per il box auto",
    "received_at": None,
    "late_entry_reason": None,
}


async def test_acts_of_the_contact_centre(client: httpx.AsyncClient, nats_url: str) -> None:
    nc = await nats.connect(servers=[nats_url])
    published: list[dict[str, Any]] = []

    async def keep(msg: Any) -> None:
        published.append(json.loads(msg.data))

    await nc.subscribe("cases.pisa.>", cb=keep)
    try:
        answer = "Sì, se il box è una pertinenza dell'abitazione: stessa scadenza della TARI."
        answered = await client.post("/cases", json=CALL | {"answer": answer})
        assert answered.status_code == 201, answered.text
        info = answered.json()
        assert info["status"] == "closed" and info["outcome"] == answer
        assert [e["event"] for e in info["timeline"]] == ["received", "answered_on_the_spot"]
        wrong_mode = CALL | {"answer": answer, "handling_mode": "callback"}
        refused = await client.post("/cases", json=wrong_mode)
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == "handling_mode"

        called = await client.post("/cases", json=CALL | {"handling_mode": "callback"})
        assert called.status_code == 201, called.text
        case = called.json()
        cid = case["case_id"]
        acts = [
            ("schedule-callback", {"note": "Richiamare dopo aver sentito l'Ufficio Tributi"}),
            ("consult", {"question": "TARI sul box?", "answer": "Sì, se pertinenza"}),
            ("transfer", {"to": "Ufficio Tributi, sportello 3"}),
            ("callback-done", {"means": "phone", "note": "Richiamato: spiegata la TARI"}),
        ]
        for step, body in acts:
            done = await client.post(f"/cases/{cid}/{step}", json=body)
            assert done.status_code == 200, (step, done.text)
            assert done.json()["status"] == "received"  # acts, not steps: it stays where it is
        timeline = (await client.get(f"/cases/{cid}")).json()["timeline"]
        assert [e["event"] for e in timeline] == [
            "received",
            "callback_scheduled",
            "consulted",
            "transferred",
            "callback_done",
        ]
        assert timeline[2]["question"] == "TARI sul box?" and timeline[3]["to"].startswith("Uff")
        await assign(nats_url, case, "urp", 1)

        async def assigned() -> bool:
            return bool((await client.get(f"/cases/{cid}")).json()["status"] == "assigned")

        await eventually(assigned)
        # an act on a closed case is refused, saying what is possible
        late = await client.post(f"/cases/{info['case_id']}/transfer", json={"to": "URP"})
        assert late.status_code == 409 and late.json()["possible_steps"][0] == "reopen"

        def of(case_id: str) -> dict[str, dict[str, Any]]:
            return {
                e["type"].split(".")[3]: e["data"] for e in published if e["subject"] == case_id
            }

        async def all_out() -> bool:
            return "callback_done" in of(cid) and "closed" in of(info["case_id"])

        await eventually(all_out)
        assert of(info["case_id"])["received"]["answered_on_the_spot"] is True
        assert of(info["case_id"])["received"]["handling_mode"] == "answered"
        assert of(cid)["received"]["answered_on_the_spot"] is False
        assert of(cid)["callback_done"]["means"] == "phone"
        assert of(cid)["transferred"]["to"] == "Ufficio Tributi, sportello 3"
        assert of(cid)["consulted"]["has_answer"] is True
        assert "pertinenza" not in json.dumps(published)  # the office's words stay in intake
    finally:
        await nc.close()
