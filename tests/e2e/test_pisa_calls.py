"""End to end (issue 18), the services as processes on real NATS, on SQLite and on
PostgreSQL: Pisa's information call answered on the spot (closed in one step, never routed, its
answer clock met at once) and a callback (the 24-hour clock goes on through a recorded contact
and stops on the callback made), and a duplicate merged into its original (both files, both
citizens' pages)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sportello_devstack.stack import Stack
from sportello_devstack.testing import eventually_sync as eventually
from sportello_devstack.testing import stack_on_store, status_of

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

CALL: dict[str, Any] = {
    "tenant": "pisa",
    "kind": "richiesta_informazioni",
    "channel": "phone",
    "category": "tributi",
    "description": "Chiede come pagare la TARI",
    "citizen": {"name": "Anna Verdi", "phone": "+39 050 123456"},
}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    with stack_on_store(
        request,
        tmp_path_factory.mktemp(f"pisa-calls-{request.param}"),
        "pisa",
        extra_env={"RELAY_POLL_INTERVAL": "0.05"},
    ) as running:
        yield running


def clocks(stack: Stack, case_id: str) -> dict[str, dict[str, Any]]:
    response = httpx.get(f"{stack.url('sla')}/cases/{case_id}/clocks", timeout=10)
    return {clock["standard"]: clock for clock in response.json()}


def post(stack: Stack, path: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    response = httpx.post(f"{stack.url('intake')}{path}", json=body, timeout=10)
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_an_information_call_answered_on_the_spot(stack: Stack) -> None:
    answer = "Con il modello F24 precompilato che arriva a casa, entro il 16 giugno."
    case = post(stack, "/cases", CALL | {"answer": answer}, status=201)
    assert case["status"] == "closed" and case["outcome"] == answer
    met = eventually(lambda: (c := clocks(stack, case["case_id"])).get("answer_30d") and c)
    assert set(met) == {"answer_30d"}  # no callback clock: it was answered
    eventually(lambda: clocks(stack, case["case_id"])["answer_30d"]["status"] == "met")
    routed = httpx.get(f"{stack.url('routing')}/assignments/{case['case_id']}", timeout=10)
    assert routed.status_code == 404  # nobody to hand it to
    assert httpx.get(f"{stack.url('intake')}/cases/{case['case_id']}").json()["status"] == "closed"


def test_a_callback_is_kept_by_the_callback_made_not_by_any_contact(stack: Stack) -> None:
    case = post(stack, "/cases", CALL | {"handling_mode": "callback"}, status=201)
    cid = case["case_id"]
    callback = eventually(lambda: clocks(stack, cid).get("callback_24h"))
    assert callback["status"] == "running" and callback["policy_version"] == 2
    eventually(
        lambda: httpx.get(f"{stack.url('intake')}/cases/{cid}").json()["status"] == "assigned"
    )
    post(stack, f"/cases/{cid}/take-in-charge", {"operator": "operatore"})
    post(stack, f"/cases/{cid}/contact", {"means": "email", "note": "scritto, non richiamato"})
    post(stack, f"/cases/{cid}/schedule-callback", {"note": "richiamare dopo l'ufficio"})
    post(stack, f"/cases/{cid}/consult", {"question": "Scadenza?", "answer": "16 giugno"})
    done = post(stack, f"/cases/{cid}/callback-done", {"means": "phone", "note": "richiamata"})
    done_at = datetime.fromisoformat(done["timeline"][-1]["occurred_at"])
    met = eventually(lambda: status_of(c := clocks(stack, cid), "callback_24h") == "met" and c)
    assert datetime.fromisoformat(met["callback_24h"]["stopped_at"]) == done_at
    assert done_at <= datetime.now(UTC)


def test_a_duplicate_merged_into_its_original(stack: Stack) -> None:
    report = CALL | {"kind": "segnalazione", "category": "parcheggi"}
    first = post(stack, "/cases", report | {"description": "Parcometro rotto"}, status=201)
    second = post(stack, "/cases", report | {"description": "Parcometro guasto"}, status=201)
    for case in (first, second):
        eventually(
            lambda c=case: (
                httpx.get(f"{stack.url('intake')}/cases/{c['case_id']}").json()["status"]
                == "assigned"
            )
        )
    merged = eventually(
        lambda: (
            (
                r := httpx.post(
                    f"{stack.url('intake')}/cases/{second['case_id']}/merge",
                    json={"duplicate_of": first["reference"]},
                    timeout=10,
                )
            ).status_code
            == 200
            and r.json()
        )
    )
    assert merged["status"] == "rejected" and merged["timeline"][-1]["event"] == "merged"
    original = httpx.get(f"{stack.url('intake')}/cases/{first['case_id']}").json()
    assert original["timeline"][-1]["duplicate"] == second["reference"]
    eventually(
        lambda: clocks(stack, second["case_id"]).get("answer_30d", {}).get("status") == "met"
    )
