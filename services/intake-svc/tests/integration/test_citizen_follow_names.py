"""The citizen's status page names each office the case went to, never its code: Torino's
Contact Center forwards the case to a Reparto (triage-first), routing's decisions recorded as
intake's consumer would (routing-svc does not run here)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import httpx
from fastapi import FastAPI
from sportello_intake.application import IntakeApplication

from .test_citizen_api import REPORT, headers, site_key  # noqa: F401 (the fixture)

CONTACT_CENTER = "Contact Center \u2013 Corpo di Polizia Municipale"  # tenant.yaml's en dashes
REPARTO_6 = "Corpo di Polizia Municipale \u2013 Reparto 6"


def _assigned(app: IntakeApplication, case_id: UUID, organization: str, name: str) -> None:
    case = app.get_case(case_id)
    case.record_assignment(organization, name, datetime.now(UTC), None)
    app.save(case)


async def test_a_forwarded_case_shows_the_citizen_the_offices_names(
    app: FastAPI,
    client: httpx.AsyncClient,
    site_key: dict[str, str],  # noqa: F811
) -> None:
    report = {**REPORT, "submission_id": "web-0002-names"}
    ack = (
        await client.post("/citizen/v1/torino/reports", json=report, headers=headers(site_key))
    ).json()
    case_id = UUID(ack["case_id"])
    runtime = app.state.runtime
    await runtime.writer.call(_assigned, runtime.app, case_id, "contact-center", CONTACT_CENTER)
    for command, body in (
        ("take-in-charge", {"operator": "cc.rossi"}),
        ("forward", {"to": "pm-reparto-6", "actor": "cc.rossi"}),
    ):
        response = await client.post(f"/cases/{case_id}/{command}", json=body)
        assert response.status_code == 200, response.text
    await runtime.writer.call(_assigned, runtime.app, case_id, "pm-reparto-6", REPARTO_6)

    url = f"/citizen/v1/torino/cases/{ack['follow_token']}"
    view = (await client.get(url, headers=headers(site_key))).json()
    offices = [s["detail"] for s in view["history"] if s["step"] == "assigned"]
    assert offices == [CONTACT_CENTER, REPARTO_6]
    assert view["office"] == REPARTO_6
    assert "pm-reparto-6" not in str(view) and "contact-center" not in str(view)
