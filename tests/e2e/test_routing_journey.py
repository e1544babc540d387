"""End to end, routing-svc among the four services as processes: cases registered at intake come
back assigned to the competent organization; a declined case moves on; the CLI exports and
imports a tenant's rules as YAML."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sportello_devstack.stack import Stack
from sportello_devstack.testing import eventually_sync as eventually

pytestmark = pytest.mark.e2e
CLI = Path(sys.executable).parent / "sportello-routing"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack.on_free_ports(
        tmp_path_factory.mktemp("routing-stack"), extra_env={"RELAY_POLL_INTERVAL": "0.05"}
    ).start()
    yield running
    running.stop()


def register(stack: Stack, **body: Any) -> str:
    citizen = {"name": "Giulia Bianchi", "email": "giulia.bianchi@example.org"}
    response = httpx.post(
        f"{stack.url('intake')}/cases", json={"citizen": citizen} | body, timeout=10
    )
    assert response.status_code == 201, response.text
    case_id: str = response.json()["case_id"]
    return case_id


def case_file(stack: Stack, case_id: str) -> dict[str, Any]:
    result: dict[str, Any] = httpx.get(f"{stack.url('intake')}/cases/{case_id}", timeout=10).json()
    return result


def assignment(stack: Stack, case_id: str) -> dict[str, Any]:
    result: dict[str, Any] = httpx.get(
        f"{stack.url('routing')}/assignments/{case_id}", timeout=10
    ).json()
    return result


def routed_to(stack: Stack, case_id: str, organization: str, status: str = "assigned") -> Any:
    return eventually(
        lambda: (
            (c := case_file(stack, case_id))["organization"] == organization
            and c["status"] == status
            and c
        )
    )


def test_a_pisa_parking_complaint_is_assigned_to_pisamo(stack: Stack) -> None:
    case_id = register(
        stack,
        tenant="pisa",
        kind="reclamo",
        channel="phone",
        category="parcheggi",
        description="Il parcometro di via Buonarroti non accetta monete",
    )
    routed = routed_to(stack, case_id, "pisamo")
    assert routed["organization_name"] == "Pisamo S.r.l."
    decision = assignment(stack, case_id)["history"][0]
    assert (decision["rule_id"], decision["rule_version"]) == ("parcheggi", 1)


def test_a_torino_complaint_about_the_polizia_municipale_goes_to_its_reparto(
    stack: Stack,
) -> None:
    """Torino is triage-first: the Contact Center gets it, then forwards it to the Reparto
    the rules choose (the whole two-stage journey: test_torino_two_stages.py)."""
    case_id = register(
        stack,
        tenant="torino",
        kind="reclamo",
        channel="email",
        category="reclami_polizia_municipale",
        description="Il vigile in corso Francia è stato scortese",
    )
    routed_to(stack, case_id, "contact-center")
    for command, body in (("take-in-charge", {"operator": "cc"}), ("forward", {})):
        response = httpx.post(
            f"{stack.url('intake')}/cases/{case_id}/{command}", json=body, timeout=10
        )
        assert response.status_code == 200, response.text
    routed = routed_to(stack, case_id, "pm-reparto-6", status="forwarded")
    assert routed["organization_name"].startswith("Corpo di Polizia Municipale")
    first, forwarded = assignment(stack, case_id)["history"]
    assert first["rule_id"] == "triage-first"
    assert forwarded["rule_id"] == "reclami_polizia_municipale"


def test_a_declined_case_moves_to_the_next_competent_organization(stack: Stack) -> None:
    case_id = register(
        stack,
        tenant="pisa",
        kind="segnalazione",
        channel="web",
        category="segnalazioni",
        description="Le strisce blu davanti alla farmacia sono cancellate",
    )
    routed_to(stack, case_id, "pisamo")
    declined = httpx.post(
        f"{stack.url('intake')}/cases/{case_id}/request-reassignment",
        json={"reason": "la segnaletica è del Comune", "actor": "pisamo"},
        timeout=10,
    )
    assert declined.status_code == 200, declined.text
    routed_to(stack, case_id, "farmacie-comunali")
    assert assignment(stack, case_id)["declined"] == ["pisamo"]


def test_the_cli_exports_and_imports_a_tenant_as_yaml(stack: Stack, tmp_path: Path) -> None:
    url = ["--url", stack.url("routing")]
    exported = tmp_path / "pisa.yaml"
    subprocess.run([CLI, "export", "pisa", "-o", exported, *url], check=True, timeout=30)
    document = yaml.safe_load(exported.read_text())
    assert document["version"] == 1

    ztl = {"id": "ztl", "organization": "pisamo", "categories": ["segnalazioni"]}
    document["rules"].insert(0, ztl | {"keywords": ["varco ztl"]})
    exported.write_text(yaml.safe_dump(document, allow_unicode=True))
    imported = subprocess.run(
        [CLI, "import", "pisa", exported, "--actor", "git", *url],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert imported.stdout.strip() == "pisa: rules published as version 2"

    document["rules"][0]["organization"] = "nessuno"
    exported.write_text(yaml.safe_dump(document, allow_unicode=True))
    refused = subprocess.run(
        [CLI, "import", "pisa", exported, *url], capture_output=True, text=True, timeout=30
    )
    assert refused.returncode == 1
    assert "rules.0.organization: unknown organization 'nessuno'" in refused.stderr
    current = httpx.get(f"{stack.url('routing')}/rules/pisa", timeout=10).json()
    assert current["version"] == 2
