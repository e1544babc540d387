"""End to end, the right to be forgotten: a closed case's citizen is erased with the CLI, as an
admin; intake, routing and notify each lose what they kept of the citizen, the facts stay."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from eventsourcing.application import Application
from sportello_devstack.stack import Stack
from sportello_devstack.testing import eventually_sync as eventually
from sportello_notify.domain import CaseFile, case_file_id
from sportello_routing.domain import Assignment
from sportello_shared.personal_data import ERASED_TEXT
from sportello_shared.personal_data.mapper import PersonalDataMapper
from sportello_shared.personal_data.vault import open_vault

pytestmark = pytest.mark.e2e
CLI = Path(sys.executable).parent / "sportello-intake"
CITIZEN = {"name": "Ottavia Gallo", "email": "ottavia.gallo@example.org"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack.on_free_ports(
        tmp_path_factory.mktemp("erasure-stack"),
        auth=True,
        extra_env={"RELAY_POLL_INTERVAL": "0.05"},
    ).start()
    yield running
    running.stop()


def bearer(stack: Stack, role: str, tenant: str | None = "torino") -> dict[str, str]:
    return {"authorization": f"Bearer {stack.issuer.token(role, tenant, subject=f'{role}-1')}"}


def closed_case(stack: Stack) -> dict[str, Any]:
    operator = bearer(stack, "operator")
    intake = stack.url("intake")
    body = {
        "tenant": "torino",
        "kind": "reclamo",
        "channel": "email",
        "category": "reclami_polizia_municipale",
        "description": "Il vigile di quartiere non risponde mai al telefono",
        "citizen": CITIZEN,
    }
    case = httpx.post(f"{intake}/cases", json=body, headers=operator, timeout=10).json()
    case_url = f"{intake}/cases/{case['case_id']}"
    eventually(
        lambda: httpx.get(case_url, headers=operator, timeout=10).json()["status"] == "assigned"
    )
    for step, payload in (("take-in-charge", {"operator": "anna"}), ("close", {"outcome": "ok"})):
        response = httpx.post(f"{case_url}/{step}", json=payload, headers=operator, timeout=10)
        assert response.status_code == 200, response.text
    # the closing message went out before the citizen asked to be forgotten
    eventually(lambda: len(mails_to(stack, CITIZEN["email"])) >= 2, timeout=60)
    return dict(case)


def mails_to(stack: Stack, address: str) -> list[Path]:
    return [p for p in stack.mail_dir.glob("**/*.eml") if address in p.read_text(errors="ignore")]


def erase_with_the_cli(
    stack: Stack, *args: str, token: str | None
) -> subprocess.CompletedProcess[str]:
    env = {"PATH": str(CLI.parent)} | ({"SPORTELLO_TOKEN": token} if token else {})
    return subprocess.run(
        [str(CLI), "erase", *args, "--url", stack.url("intake")],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def read_store(stack: Stack, service: str, aggregate_id: UUID) -> list[Any]:
    """Another process reading the service's store, without any of the service's caches."""
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(stack.data_dir / f"{service}.sqlite"),
        "CIPHER_TOPIC": "eventsourcing.cipher:AESCipher",
        "CIPHER_KEY": stack.cipher_key_file().read_text().strip(),
    }
    reader = Application[UUID](env=env)
    vault = open_vault(reader.env, service, reader.mapper.cipher)
    try:
        mapper = PersonalDataMapper(reader.mapper, vault)
        return [mapper.to_domain_event(e) for e in reader.recorder.select_events(aggregate_id)]
    finally:
        vault.close()
        reader.close()


def test_an_admin_erases_a_citizen_with_the_cli_and_every_service_forgets_them(
    stack: Stack,
) -> None:
    case = closed_case(stack)
    intake = stack.url("intake")

    no_token = httpx.post(f"{intake}/admin/erasures", json={"email": CITIZEN["email"]}, timeout=10)
    operator = httpx.post(
        f"{intake}/admin/erasures",
        json={"email": CITIZEN["email"]},
        headers=bearer(stack, "operator"),
        timeout=10,
    )
    assert (no_token.status_code, operator.status_code) == (401, 403)
    refused = erase_with_the_cli(stack, "--email", CITIZEN["email"], token=None)
    assert refused.returncode == 1 and "401" in refused.stdout

    done = erase_with_the_cli(
        stack, "--email", CITIZEN["email"], token=stack.issuer.token("admin", subject="dpo-torino")
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert case["reference"] in done.stdout
    view = httpx.get(
        f"{intake}/cases/{case['case_id']}", headers=bearer(stack, "operator"), timeout=10
    ).json()
    assert view["status"] == "closed" and view["personal_data_erased_at"]
    assert view["timeline"][-1] == view["timeline"][-1] | {
        "event": "personal_data_erased",
        "actor": "dpo-torino",
    }

    def forgotten_by(service: str, aggregate_id: UUID) -> list[Any]:
        events = read_store(stack, service, aggregate_id)
        return events if any(type(e).__name__ == "PersonalDataErased" for e in events) else []

    case_id = case["case_id"]
    notify_events = eventually(lambda: forgotten_by("notify", case_file_id(case_id)), timeout=30)
    opened = notify_events[0]
    assert opened.citizen_name == ERASED_TEXT and opened.email is None
    assert isinstance(opened, CaseFile.Opened)
    routing_events = eventually(
        lambda: forgotten_by("routing", Assignment.create_id(case_id)), timeout=30
    )
    assert routing_events[0].description == ERASED_TEXT
    assert routing_events[1].organization  # the decision and its reasons stay
    intake_events = read_store(stack, "intake", UUID(case_id))
    assert intake_events[0].citizen == {"name": ERASED_TEXT}
    assert intake_events[0].category == "reclami_polizia_municipale"
