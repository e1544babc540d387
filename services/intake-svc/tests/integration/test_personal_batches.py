"""Personal-data requests that wait together are answered together: one turn on the writer
thread, one read of the store for the cases no longer fresh, each answer the one it would get
alone and to the request that asked it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import httpx
import nats
import pytest
from sportello_contracts.personal import PersonalRequest
from sportello_intake.adapters.personal_responder import MAX_BATCH, _next_requests
from sportello_intake.application import IntakeApplication, RegisterCase
from sportello_intake.commands import CaseCommand
from sportello_intake.personal import PersonalDataReader

from .conftest import REGISTRATION
from .test_fresh_cases import REGISTRATION as COMMAND
from .test_fresh_cases import make_app


@pytest.fixture
def apps(store: dict[str, str], nats_url: str) -> Iterator[tuple[IntakeApplication, ...]]:
    """Two replicas on one store: what one registers is not fresh in the other."""
    here, there = make_app(store, nats_url), make_app(store, nats_url)
    yield here, there
    here.close()
    there.close()


def counted(monkeypatch: pytest.MonkeyPatch, target: object, name: str) -> list[Any]:
    calls: list[Any] = []
    original = getattr(target, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, counting)
    return calls


def test_stale_cases_asked_together_are_read_in_one_query(
    apps: tuple[IntakeApplication, IntakeApplication], monkeypatch: pytest.MonkeyPatch
) -> None:
    here, there = apps
    cases = [there.register_case(RegisterCase(**COMMAND, actor="t")).case.id for _ in range(6)]
    noted = there.execute(
        CaseCommand(cases[0], "update_citizen", "anna", {"message": "Domani passa la squadra"})
    )
    asked: list[tuple[str, str, PersonalRequest]] = []
    for case_id in cases:
        for requester, version in (("routing", None), ("notify", 1), ("pm-reparto-1", None)):
            event_id = f"{case_id}:{version}" if version else None
            asked.append(
                ("torino", requester, PersonalRequest(case_id=str(case_id), event_id=event_id))
            )
    asked.append(
        (
            "torino",
            "notify",
            PersonalRequest(case_id=str(cases[0]), event_id=f"{cases[0]}:{noted.version}"),
        )
    )
    asked.append(("torino", "routing", PersonalRequest(case_id="not-a-case")))
    asked.append(("pisa", "routing", PersonalRequest(case_id=str(cases[1]))))
    alone = [PersonalDataReader(there).answer(*one).model_dump() for one in asked]

    one_by_one = counted(monkeypatch, here.recorder, "select_events")
    together = counted(monkeypatch, here.recorder, "select_events_of")
    answers = [a.model_dump() for a in PersonalDataReader(here).answer_all(asked)]

    assert answers == alone
    assert len(together) == 1 and sorted(together[0][0]) == sorted(cases)
    assert one_by_one == []  # no case and no event's text read on its own
    assert answers[-3]["text"] == "Domani passa la squadra"
    assert answers[-2]["error"] == "not_found" and answers[-1]["error"] == "not_found"


def test_fresh_cases_need_no_query_at_all(
    apps: tuple[IntakeApplication, IntakeApplication], monkeypatch: pytest.MonkeyPatch
) -> None:
    here, _ = apps
    case_id = here.register_case(RegisterCase(**COMMAND, actor="t")).case.id
    together = counted(monkeypatch, here.recorder, "select_events_of")
    one_by_one = counted(monkeypatch, here.recorder, "select_events")
    request = PersonalRequest(case_id=str(case_id), event_id=f"{case_id}:1")
    answers = PersonalDataReader(here).answer_all([("torino", "notify", request)] * 3)
    assert {a.model_dump_json() for a in answers} == {answers[0].model_dump_json()}
    assert together == [] and one_by_one == []


async def test_requests_sent_at_once_each_get_their_own_answer(
    client: httpx.AsyncClient, nats_url: str
) -> None:
    cases: list[dict[str, Any]] = []
    for number in range(5):
        description = f"Buca numero {number} in via Roma"
        response = await client.post("/cases", json=REGISTRATION | {"description": description})
        assert response.status_code == 201, response.text
        cases.append(response.json())
    nc = await nats.connect(servers=[nats_url])
    try:

        async def ask(case: dict[str, Any] | None, requester: str) -> Any:
            body = json.dumps({"case_id": case["case_id"]} if case else {"case": 1}).encode()
            return json.loads((await nc.request(f"personal.torino.{requester}", body, 5)).data)

        asked = [(case, requester) for case in cases * 8 for requester in ("routing", "notify")]
        asked.insert(17, (None, "routing"))  # malformed, among the others
        answers = await asyncio.gather(*(ask(case, requester) for case, requester in asked))
    finally:
        await nc.close()
    for (case, requester), answer in zip(asked, answers, strict=True):
        if case is None:
            assert answer["error"] == "bad_request"
            continue
        assert answer["case_id"] == case["case_id"] and answer["reference"] == case["reference"]
        number = cases.index(case)
        assert answer["description"] == f"Buca numero {number} in via Roma"
        assert ("citizen" in answer) is (requester == "notify")
    assert UUID(cases[0]["case_id"])


async def test_the_requests_waiting_behind_the_first_go_with_it() -> None:
    waiting: asyncio.Queue[Any] = asyncio.Queue()
    stop = asyncio.Event()
    for number in range(MAX_BATCH + 3):
        waiting.put_nowait(number)
    assert await _next_requests(waiting, stop) == list(range(MAX_BATCH))
    assert await _next_requests(waiting, stop) == [MAX_BATCH, MAX_BATCH + 1, MAX_BATCH + 2]
    later = asyncio.ensure_future(_next_requests(waiting, stop))
    await asyncio.sleep(0.01)
    waiting.put_nowait("late")
    assert await later == ["late"]  # the first after a quiet spell goes at once, alone
    stop.set()
    assert await _next_requests(waiting, stop) == []


def test_a_case_that_cannot_be_read_refuses_its_own_request_only(
    apps: tuple[IntakeApplication, IntakeApplication], monkeypatch: pytest.MonkeyPatch
) -> None:
    here, there = apps
    broken, fine = (
        there.register_case(RegisterCase(**COMMAND, actor="t")).case.id for _ in range(2)
    )
    find_case = here.find_case

    def unreadable(case_id: UUID) -> Any:
        if case_id == broken:
            raise ValueError("Cipher text is damaged: MAC check failed")
        return find_case(case_id)

    monkeypatch.setattr(here, "find_case", unreadable)
    asked = [("torino", "routing", PersonalRequest(case_id=str(c))) for c in (broken, fine)]
    answers = [a.model_dump() for a in PersonalDataReader(here).answer_all(asked)]
    assert answers[0]["error"] == "unavailable"  # asked again later, as for a store outage
    assert answers[1]["description"] == COMMAND["description"]
