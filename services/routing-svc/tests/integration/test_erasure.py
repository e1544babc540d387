"""intake's `case.personal_data_erased`: routing forgets what the citizen wrote, not why it
decided what it did."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from fastapi import FastAPI
from nats.js import JetStreamContext
from sportello_contracts.cases import CasePersonalDataErased
from sportello_devstack.testing import eventually
from sportello_routing.application import RoutingApplication
from sportello_routing.domain import Assignment
from sportello_shared.personal_data import ERASED_TEXT, is_erased
from sportello_shared.personal_data.mapper import PersonalDataMapper
from sportello_shared.personal_data.vault import open_vault

from .conftest import _publish, nth_decision, receive


async def test_the_description_is_unreadable_after_the_erasure_and_the_decision_stays(
    app: FastAPI, client: httpx.AsyncClient, js: JetStreamContext
) -> None:
    case_id = await receive(
        js, "pisa", "parcheggi", description="Il vicino parcheggia sul marciapiede"
    )
    await nth_decision(js, case_id, 1)
    other_id = await receive(js, "pisa", "parcheggi", description="Strisce sbiadite")
    await nth_decision(js, other_id, 1)
    routing: RoutingApplication = app.state.runtime.app
    assignment_id = Assignment.create_id(case_id)
    assert "vicino" in routing.repository.get(assignment_id).facts.description

    erased = CasePersonalDataErased(
        case_id=case_id, reference="PI-1", occurred_at=datetime.now(UTC), actor="dpo"
    )
    await _publish(js, "pisa", "pisamo", erased, 9)

    async def forgotten() -> bool:
        view = (await client.get(f"/assignments/{case_id}")).json()
        return (
            view.get("organization") == "pisamo"
            and routing.repository.get(assignment_id).personal_data_erased_at is not None
        )

    await eventually(forgotten)
    # another reader of the same store, nothing cached: the history is unreadable
    vault = open_vault(routing.env, "routing", routing.mapper.cipher)
    try:
        mapper = PersonalDataMapper(routing.mapper, vault)
        opened = mapper.to_domain_event(routing.recorder.select_events(assignment_id)[0])
    finally:
        vault.close()
    assert is_erased(opened) and opened.description == ERASED_TEXT  # type: ignore[attr-defined]
    assert routing.repository.get(assignment_id).history[0]["organization"] == "pisamo"
    kept = routing.repository.get(Assignment.create_id(other_id))
    assert kept.facts.description == "Strisce sbiadite"
