"""The yearly report over HTTP with authentication on: the register, the draft, its publication.

A year of Casale's URP goes through the real streams into the live service; the figures
themselves are worked out by hand in tests/unit/test_annual.py (here the sweep breaches clocks
as their 2025 events arrive in 2026, so what is checked is what the HTTP side adds).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from nats.js import JetStreamContext
from sportello_devstack.issuer import DevIssuer
from sportello_devstack.testing import eventually
from sportello_sla.main import SlaSettings, build

from ..year_2025 import AS_OF, LINE_DOWN, TENANT, steps
from .conftest import publish

DRAFT = "/reports/annual"
PUBLIC = f"/public/reports/annual/{TENANT}/2025"


@pytest.fixture
async def sla(
    issuer: DevIssuer,  # noqa: ARG001 (authentication on: its keys are in the environment)
    store: dict[str, str],
    nats_url: str,
) -> AsyncIterator[FastAPI]:
    overrides: dict[str, Any] = {"NATS_URL": nats_url, "SLA_SWEEP_INTERVAL": 0.2, **store}
    app: FastAPI = build(SlaSettings(**overrides))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def anonymous(sla: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=sla)
    async with httpx.AsyncClient(transport=transport, base_url="http://sla") as client:
        yield client


def bearer(issuer: DevIssuer, role: str, organization: str | None = None) -> dict[str, str]:
    token = issuer.token(role, TENANT, organization, subject=f"{role}.{organization or 'urp'}")
    return {"Authorization": f"Bearer {token}"}


def pdf_text(document: bytes, tmp_path: Path, name: str) -> str:
    assert shutil.which("pdftotext"), "pdftotext (Debian poppler-utils) is needed"
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(document)
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


async def the_year_has_settled(client: httpx.AsyncClient, urp: dict[str, str]) -> str:
    """Every event processed and every overdue clock swept: the draft no longer changes."""
    params = {"tenant": TENANT, "year": 2025, "format": "json", "as_of": AS_OF.isoformat()}

    async def probe() -> str | None:
        """the year's last case event (G assigned: six forwardings met), its five ratings are
        in and no clock is left open"""
        response = await client.get(DRAFT, params=params, headers=urp)
        assert response.status_code == 200, response.text
        body = response.json()
        settled = (
            body["volumes"]["total"] == 7
            and body["satisfaction_overall"]["answers"] == 5
            and all(s["open"] == 0 for s in body["standards"])
            and [s["met"] for s in body["standards"] if s["standard"] == "forwarding_2wd"] == [6]
        )
        return response.headers["X-Report-Digest"] if settled else None

    digest: str = await eventually(probe)
    return digest


async def test_review_publish_and_read_without_a_token(
    anonymous: httpx.AsyncClient, js: JetStreamContext, issuer: DevIssuer, tmp_path: Path
) -> None:
    for step in steps():
        await publish(
            js, TENANT, step.payload, organization=step.organization, producer=step.producer
        )
    urp, office = bearer(issuer, "operator"), bearer(issuer, "office", "urbanistica")
    await the_year_has_settled(anonymous, urp)

    # the register: a phone line down, recorded by the URP (its token's subject, not a field)
    line = {"tenant": TENANT, "organization": "urp", "kind": "interruption", **LINE_DOWN}
    line = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in line.items()}
    response = await anonymous.post("/anomalies", json=line | {"recorded_by": "x"}, headers=urp)
    assert response.status_code == 422  # no field says who
    response = await anonymous.post("/anomalies", json=line, headers=urp)
    assert response.status_code == 201, response.text
    anomaly = response.json()["anomaly_id"]
    action = {"description": "Linea di riserva", "status": "planned", "due": "2026-03-31"}
    response = await anonymous.post(f"/anomalies/{anomaly}/actions", json=action, headers=urp)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["recorded_by"] == "operator.urp" and body["actions"][0]["recorded_by"] == (
        "operator.urp"
    )
    # an office writes about its own anomalies only; personal data is refused
    refused = await anonymous.put(
        f"/anomalies/{anomaly}/cause", json={"cause": "guasto"}, headers=office
    )
    assert refused.status_code == 403
    personal = {"cause": "segnalato da mario.rossi@example.org"}
    response = await anonymous.put(f"/anomalies/{anomaly}/cause", json=personal, headers=urp)
    assert response.status_code == 422
    breaches = (
        await anonymous.get("/anomalies", params={"tenant": TENANT, "year": 2025}, headers=office)
    ).json()
    assert breaches and {b["organization"] for b in breaches} == {"urbanistica"}
    cause = {"cause": "Ufficio chiuso per ferie senza sostituto"}
    response = await anonymous.put(
        f"/anomalies/{breaches[0]['anomaly_id']}/cause", json=cause, headers=office
    )
    assert response.status_code == 200 and response.json()["cause_by"] == "office.urbanistica"

    # before publication: the draft needs a token of the tenant's URP; nothing is public
    query = {"tenant": TENANT, "year": 2025, "as_of": AS_OF.isoformat()}
    assert (await anonymous.get(DRAFT, params=query)).status_code == 401
    assert (await anonymous.get(DRAFT, params=query, headers=office)).status_code == 403
    assert (await anonymous.get(PUBLIC)).status_code == 404
    assert (await anonymous.get(PUBLIC, params={"format": "pdf"})).status_code == 404

    # the review: the PDF, the CSV and the figures as of one instant, with their digest
    reviewed = await anonymous.get(DRAFT, params=query | {"format": "pdf"}, headers=urp)
    assert reviewed.status_code == 200 and reviewed.headers["content-type"] == "application/pdf"
    digest, as_of = reviewed.headers["X-Report-Digest"], reviewed.headers["X-Report-As-Of"]
    figures = (await anonymous.get(DRAFT, params=query | {"format": "json"}, headers=urp)).json()
    table = (await anonymous.get(DRAFT, params=query | {"format": "csv"}, headers=urp)).text
    draft_text = pdf_text(reviewed.content, tmp_path, "draft")
    flat = " ".join(draft_text.split())  # a table's cell may wrap
    assert "Bozza in revisione" in flat and "Numero verde 800 516166" in flat

    # publication: by the URP, of exactly what was reviewed
    body = {"tenant": TENANT, "year": 2025, "as_of": as_of, "digest": digest}
    path = "/reports/annual/publication"
    assert (await anonymous.post(path, json=body)).status_code == 401
    assert (await anonymous.post(path, json=body, headers=office)).status_code == 403
    stale = body | {"digest": "0" * 64}
    response = await anonymous.post(path, json=stale, headers=urp)
    assert response.status_code == 409 and "reviewed" in response.text
    too_early = body | {"year": 2026, "as_of": AS_OF.isoformat()}
    assert (await anonymous.post(path, json=too_early, headers=urp)).status_code == 409
    response = await anonymous.post(path, json=body, headers=urp)
    assert response.status_code == 201, response.text
    assert response.json()["digest"] == digest and response.json()["url"] == PUBLIC
    assert (await anonymous.post(path, json=body, headers=urp)).status_code == 409  # once

    # after: anyone reads it, as it was reviewed
    public = await anonymous.get(PUBLIC, params={"format": "json"})
    assert public.status_code == 200 and public.json() == figures
    assert public.headers["X-Report-Digest"] == digest
    assert (await anonymous.get(PUBLIC, params={"format": "csv"})).text == table
    published = await anonymous.get(PUBLIC, params={"format": "pdf"})
    published_text = pdf_text(published.content, tmp_path, "published")
    assert "Pubblicata il" in published_text and "Bozza" not in published_text
    assert _without_state(published_text) == _without_state(draft_text)
    html = await anonymous.get(PUBLIC)
    assert html.status_code == 200 and digest in html.text
    # later writing in the register changes the draft, never the published report
    await anonymous.post(f"/anomalies/{anomaly}/end", json={"ended_at": as_of}, headers=urp)
    assert (await anonymous.get(PUBLIC, params={"format": "json"})).json() == figures


def _without_state(text: str) -> list[str]:
    """The document's lines but the one that says draft or published."""
    return [line for line in text.splitlines() if "Bozza" not in line and "Pubblicata" not in line]
