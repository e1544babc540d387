"""`make run`'s bus: nats-server with the shipped deploy/nats configuration, each service as its
own NATS user (routing may ask intake only on personal.*.routing, notify only on
personal.*.notify). A case still goes through all four services, and the server refused nothing
they did."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sportello_devstack.mailsink import read_mails
from sportello_devstack.stack import SERVICES, Stack
from sportello_devstack.testing import eventually_sync as eventually
from sportello_shared.partners.service_users import SERVICE_USERS

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack.on_free_ports(
        tmp_path_factory.mktemp("stack"),
        nats_users=True,
        extra_env={"RELAY_POLL_INTERVAL": "0.05", "SLA_SWEEP_INTERVAL": "0.5"},
    ).start()
    yield running
    running.stop()


def test_each_service_connects_as_itself_and_a_case_goes_through_all_four(stack: Stack) -> None:
    for name in SERVICES:
        env = stack.service_env(name)
        assert env["NATS_USER"] == name and env["NATS_PASSWORD"]
        assert env["NATS_PASSWORD"] not in env["NATS_URL"]
    assert {u.name for u in SERVICE_USERS} >= set(SERVICES)

    body = {
        "tenant": "pisa",
        "kind": "reclamo",
        "channel": "phone",
        "category": "parcheggi",
        "description": "Il parcometro di via Buonarroti non accetta monete",
        "citizen": {"name": "Giulia Bianchi", "email": "giulia.users@example.org"},
    }
    intake = stack.url("intake")
    registered = httpx.post(f"{intake}/cases", json=body, timeout=10)
    assert registered.status_code == 201, registered.text
    case_id = registered.json()["case_id"]

    def case() -> dict[str, Any]:
        found: dict[str, Any] = httpx.get(f"{intake}/cases/{case_id}", timeout=10).json()
        return found

    # routing asked intake for the description on its own subject before deciding
    eventually(lambda: case()["status"] == "assigned", timeout=30)
    taken = httpx.post(f"{intake}/cases/{case_id}/take-in-charge", json={"operator": "sara"})
    assert taken.status_code == 200, taken.text
    # notify asked intake for the citizen on its own subject (its file of the case is opened
    # with it, at `received`), and writes to them when the case is taken in charge
    mails = eventually(
        lambda: [m for m in read_mails(stack.mail_dir) if m["To"] == body["citizen"]["email"]],
        timeout=30,
    )
    assert mails
    # sla started the Carta's clocks from the stream
    clocks = httpx.get(f"{stack.url('sla')}/cases/{case_id}/clocks", timeout=10).json()
    assert clocks
    log = (stack.data_dir / "nats.log").read_text(encoding="utf-8")
    assert "Permissions Violation" not in log, log[-2000:]
