"""End to end: the four services as separate processes, a real nats-server and SMTP sink."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sportello_devstack.mailsink import read_mails
from sportello_devstack.stack import Stack
from sportello_devstack.testing import eventually_sync as eventually

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack.on_free_ports(
        tmp_path_factory.mktemp("stack"),
        extra_env={"RELAY_POLL_INTERVAL": "0.05", "SLA_SWEEP_INTERVAL": "0.5"},
    ).start()
    yield running
    running.stop()


def register(stack: Stack, **changes: Any) -> dict[str, Any]:
    body = {
        "tenant": "pisa",
        "kind": "reclamo",
        "channel": "phone",
        "category": "parcheggi",
        "description": "Il parcometro di via Buonarroti non accetta monete",
        "citizen": {"name": "Giulia Bianchi", "email": "giulia.bianchi@example.org"},
    } | changes
    response = httpx.post(f"{stack.url('intake')}/cases", json=body, timeout=10)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def case(stack: Stack, case_id: str) -> dict[str, Any]:
    result: dict[str, Any] = httpx.get(f"{stack.url('intake')}/cases/{case_id}", timeout=10).json()
    return result


def mails_to(stack: Stack, address: str) -> list[Any]:
    return [m for m in read_mails(stack.mail_dir) if address in (m["To"] or "")]


def test_a_case_goes_through_all_four_services(stack: Stack) -> None:
    registered = register(stack)
    case_id = registered["case_id"]

    routed = eventually(lambda: (c := case(stack, case_id))["status"] == "assigned" and c)
    assert routed["organization"] == "pisamo"

    taken = httpx.post(
        f"{stack.url('intake')}/cases/{case_id}/take-in-charge", json={"operator": "sara"}
    )
    assert taken.status_code == 200, taken.text
    closed = httpx.post(
        f"{stack.url('intake')}/cases/{case_id}/close",
        json={"outcome": "Il parcometro è stato riparato.", "actor": "sara"},
    )
    assert closed.status_code == 200, closed.text

    eventually(lambda: len(mails_to(stack, "giulia.bianchi@example.org")) >= 2)
    clocks = eventually(
        lambda: [
            c
            for c in httpx.get(f"{stack.url('sla')}/cases/{case_id}/clocks").json()
            if c["status"] == "met"
        ]
    )
    assert clocks[0]["standard"] == "answer_30d"

    time.sleep(2.0)  # anything sent twice would have arrived by now
    mails = mails_to(stack, "giulia.bianchi@example.org")
    assert len(mails) == 2
    assert registered["reference"] in mails[0]["Subject"] + mails[1]["Subject"]


def test_every_service_is_healthy_ready_and_measured(stack: Stack) -> None:
    for name in ("intake", "routing", "sla", "notify"):
        assert httpx.get(f"{stack.url(name)}/healthz").status_code == 200
        assert httpx.get(f"{stack.url(name)}/readyz").json()["ready"] is True
        assert "sportello_" in httpx.get(f"{stack.url(name)}/metrics").text
