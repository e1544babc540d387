"""The shipped NATS configuration: generated from partners.yaml, durable, without secrets; and the
`partner` command (`make partner NAME=…`) that hands credentials over and makes the consumer."""

from __future__ import annotations

import asyncio
import json
import re
import stat
from pathlib import Path

import pytest
from nats.js.api import AckPolicy, ConsumerInfo
from sportello_devstack.cli import app
from sportello_shared import partners
from sportello_shared.partners import Integrations, TenantIntegrations
from sportello_shared.tenants import load_tenants
from typer.testing import CliRunner

from .conftest import NATS_DIR, REPO, Bus, CaseEvents, connect_services, consumer_state


def test_accounts_conf_is_generated_from_partners_yaml() -> None:
    committed = (NATS_DIR / partners.ACCOUNTS_FILE).read_text(encoding="utf-8")
    regenerated = partners.render_accounts(partners.load_integrations(NATS_DIR))
    assert committed == regenerated, "stale: run `make partner NAME=<any partner>` and commit"


def test_every_jetstream_block_we_ship_syncs_always() -> None:
    configs = sorted(NATS_DIR.rglob("*.conf"))
    blocks = [
        (path, match)
        for path in configs
        for match in re.finditer(r"jetstream\s*[:=]?\s*\{([^}]*)\}", path.read_text())
    ]
    assert blocks, "the server configuration enables JetStream"
    for path, block in blocks:
        assert re.search(r"^\s*sync_interval\s*[:=]\s*always\s*$", block.group(1), re.M), path


def test_the_shipped_configuration_holds_no_secret() -> None:
    text = (NATS_DIR / partners.ACCOUNTS_FILE).read_text(encoding="utf-8")
    passwords = re.findall(r"password:\s*([^\s,}]+)", text)
    assert passwords
    assert all(re.fullmatch(r"\$SPORTELLO_NATS_PASSWORD_[A-Z0-9_]+", p) for p in passwords)


def test_partners_are_the_tenants_partner_organizations() -> None:
    catalogue = load_tenants(REPO / "deploy" / "tenants")
    for partner in partners.load_integrations(NATS_DIR).partners():
        organization = catalogue[partner.tenant].organization(partner.name)
        assert organization is not None, partner
        assert organization.kind == "partner", partner


def test_pisa_has_its_five_partecipate() -> None:
    names = {p.name for p in partners.load_integrations(NATS_DIR).partners() if p.tenant == "pisa"}
    assert names == {"sepi", "pisamo", "patrimonio", "farmacie-comunali", "port-authority"}


def test_a_name_listed_as_partner_and_platform_is_refused(tmp_path: Path) -> None:
    # They would share `ingest.<tenant>.<name>`, and so each other's identity.
    (tmp_path / partners.PARTNERS_FILE).write_text(
        "tenants: {pisa: {partners: [pisamo], platforms: [pisamo]}}\n"
    )
    with pytest.raises(ValueError, match="listed twice"):
        partners.load_integrations(tmp_path)


def test_a_name_that_is_not_a_subject_token_is_refused(tmp_path: Path) -> None:
    (tmp_path / partners.PARTNERS_FILE).write_text("tenants: {pisa: {partners: [pisa.mo]}}\n")
    with pytest.raises(ValueError, match="not a valid name"):
        partners.load_integrations(tmp_path)


def test_secrets_are_kept_private_and_never_rotated_by_accident(tmp_path: Path) -> None:
    first = Integrations(tenants={"pisa": TenantIntegrations(partners=("pisamo",))})
    second = Integrations(tenants={"pisa": TenantIntegrations(partners=("pisamo", "sepi"))})

    before = partners.ensure_secrets(tmp_path, first)
    after = partners.ensure_secrets(tmp_path, second)

    assert after[partners.SERVICES_PASSWORD] == before[partners.SERVICES_PASSWORD]
    pisamo = "SPORTELLO_NATS_PASSWORD_PARTNER_PISA_PISAMO"
    assert after[pisamo] == before[pisamo]
    assert after["SPORTELLO_NATS_PASSWORD_PARTNER_PISA_SEPI"] not in before.values()
    mode = stat.S_IMODE(partners.secrets_file(tmp_path).stat().st_mode)
    assert mode == 0o600


def test_the_partner_command_hands_over_credentials_and_makes_the_consumer(
    bus: Bus, tmp_path: Path
) -> None:
    asyncio.run(_delete_consumer(bus, "partner-pisa-pisamo"))
    data_dir = bus.data_dir
    nats_dir = tmp_path / "nats"
    nats_dir.mkdir()
    (nats_dir / partners.PARTNERS_FILE).write_text((NATS_DIR / partners.PARTNERS_FILE).read_text())
    runner = CliRunner()
    args = ["partner", "pisamo", "--tenant", "pisa", "--data-dir", str(data_dir)]
    args += ["--nats-dir", str(nats_dir), "--nats-url", bus.url]

    result = runner.invoke(app, args)

    assert result.exit_code == 0, result.output
    assert (nats_dir / partners.ACCOUNTS_FILE).read_text() == (
        NATS_DIR / partners.ACCOUNTS_FILE
    ).read_text()
    handed = data_dir / "partners" / "partner-pisa-pisamo.json"
    assert stat.S_IMODE(handed.stat().st_mode) == 0o600
    credentials = json.loads(handed.read_text())
    assert credentials == {
        "servers": [bus.url],
        "user": "partner-pisa-pisamo",
        "password": bus.passwords["SPORTELLO_NATS_PASSWORD_PARTNER_PISA_PISAMO"],
        "tenant": "pisa",
        "role": "partner",
        "name": "pisamo",
        "ingest_subject": "ingest.pisa.pisamo",
        "api_prefix": partners.API_PREFIX,
        "stream": "CASES",
        "consumer": "partner-pisa-pisamo",
        "filter_subject": "cases.pisa.pisamo.>",
        "personal_subject": "personal.pisa.pisamo",
    }
    info = asyncio.run(_consumer_info(bus, "partner-pisa-pisamo"))
    assert info.config.filter_subject == "cases.pisa.pisamo.>"
    assert info.config.ack_policy == AckPolicy.EXPLICIT
    assert info.config.durable_name == "partner-pisa-pisamo"

    # Running it again keeps the consumer where the partner is.
    asyncio.run(_journey(bus, "pisamo"))
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "already there, position kept" in " ".join(again.output.split())
    assert asyncio.run(consumer_state(bus, bus.partner("pisamo"))) == (3, 0)


def test_the_partner_command_refuses_an_unknown_name(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["partner", "acme", "--data-dir", str(tmp_path), "--nats-dir", str(NATS_DIR)]
    )
    assert result.exit_code == 2
    assert "neither a partner nor a platform" in " ".join(result.output.split())
    assert not (tmp_path / "partners").exists()


def test_a_platform_gets_credentials_and_no_consumer(tmp_path: Path) -> None:
    args = ["partner", "comuni-chiamo", "--tenant", "rescaldina", "--data-dir", str(tmp_path)]
    args += ["--nats-dir", str(NATS_DIR), "--nats-url", "nats://127.0.0.1:1"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    handed = json.loads(
        (tmp_path / "partners" / "platform-rescaldina-comuni-chiamo.json").read_text()
    )
    assert handed["ingest_subject"] == "ingest.rescaldina.comuni-chiamo"
    assert "consumer" not in handed


async def _journey(bus: Bus, organization: str) -> None:
    services = await connect_services(bus)
    await CaseEvents(services).journey("pisa", organization)
    await services.close()


async def _delete_consumer(bus: Bus, name: str) -> None:
    services = await connect_services(bus)
    await services.jetstream().delete_consumer("CASES", name)
    await services.close()


async def _consumer_info(bus: Bus, name: str) -> ConsumerInfo:
    services = await connect_services(bus)
    try:
        info: ConsumerInfo = await services.jetstream().consumer_info("CASES", name)
        return info
    finally:
        await services.close()
