"""Casale's procedures in intake's application layer (issue 18 point 6): the protocol register
numbering per tenant and year (Europe/Rome), the checks of procedures.yaml and of the file, and
what the citizen's status page shows of them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from eventsourcing.application import Application
from sportello_intake.adapters.protocol_register import StoredProtocolRegister
from sportello_intake.domain import TRANSITIONS, Case, case_id_for
from sportello_intake.follow import citizen_view
from sportello_intake.mailbox.attachments import AttachmentStore
from sportello_intake.procedures import (
    ProcedureRefused,
    Procedures,
    load_procedures,
    prepare,
)
from sportello_shared.tenants import load_tenants

TENANTS = Path(__file__).resolve().parents[4] / "deploy" / "tenants"
ROME = ZoneInfo("Europe/Rome")
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
HOUSING = "attestazione_idoneita_alloggiativa"
FORMAT = "{year}/{number:06d}"


def casale_case(category: str = HOUSING, key: str = "k1") -> Case:
    case = Case.register(
        case_id=case_id_for("casale-monferrato", key),
        tenant="casale-monferrato",
        reference="CM-2026-000001",
        kind="richiesta_intervento",
        channel="pec",
        category=category,
        description="Attestazione per il ricongiungimento familiare",
        citizen={"name": "Amina Haddad", "email": "amina@example.org"},
        location=None,
        handling_mode=None,
        external_ref=None,
        attachments=[],
        received_at=T0,
        registered_at=T0,
        actor="urp",
        traceparent=None,
    )
    case.record_assignment("polizia-locale", "Polizia Locale", T0 + timedelta(hours=1), None)
    case.take_in_charge("pl.rossi", T0 + timedelta(hours=2), T0 + timedelta(hours=2), None)
    return case


@pytest.fixture
def procedures(tmp_path: Path) -> Procedures:
    app: Application[Any] = Application()
    return Procedures(
        load_procedures(TENANTS),
        register=StoredProtocolRegister(app),
        reports=AttachmentStore(tmp_path / "attachments"),
    )


def step(procedures: Procedures, case: Case, command: str, **details: Any) -> dict[str, Any]:
    now = T0 + timedelta(hours=3)
    prepared = prepare(procedures, case, command, details, now)
    case.perform(TRANSITIONS[command], "pl.rossi", now, now, None, **prepared)
    return prepared


def test_the_register_numbers_each_tenant_by_the_year_in_rome() -> None:
    register = StoredProtocolRegister(Application())
    new_years_eve = datetime(2026, 12, 31, 22, 30, tzinfo=UTC)  # 23:30 in Rome
    assert register.draw("casale-monferrato", new_years_eve, FORMAT) == "2026/000001"
    assert register.draw("casale-monferrato", new_years_eve, FORMAT) == "2026/000002"
    assert register.draw("pisa", new_years_eve, FORMAT) == "2026/000001"
    after_midnight = datetime(2026, 12, 31, 23, 10, tzinfo=UTC)  # 00:10 on 1 January in Rome
    assert register.draw("casale-monferrato", after_midnight, FORMAT) == "2027/000001"
    assert register.draw("casale-monferrato", new_years_eve, "PG-{number}/{year}") == "PG-3/2026"


def test_a_housing_attestation_goes_through_protocol_inspection_and_issue(
    procedures: Procedures,
) -> None:
    case = casale_case()
    assert step(procedures, case, "protocol", protocol_number=None) == {
        "protocol_number": "2026/000001"
    }
    with pytest.raises(ProcedureRefused) as twice:
        step(procedures, case, "protocol", protocol_number=None)
    assert twice.value.code == "already_protocolled" and "2026/000001" in twice.value.it
    assert procedures.reports is not None
    digest = procedures.reports.put(b"%PDF verbale")
    refused = ("report_inspection", {"report": digest, "finding": "idoneo"})
    with pytest.raises(ProcedureRefused, match="once the inspection is scheduled"):
        step(procedures, case, refused[0], **refused[1])
    attestation = {
        "outcome": "pronta",
        "attestation_number": "IA-1",
        "issued_on": date(2026, 12, 18),
    }
    with pytest.raises(ProcedureRefused, match="after the inspection's report"):
        step(procedures, case, "issue_attestation", **attestation)
    when = datetime(2026, 12, 15, 8, 30, tzinfo=UTC)
    step(procedures, case, "schedule_inspection", scheduled_for=when, inspector="PL 3")
    with pytest.raises(ProcedureRefused, match="upload the report first"):
        step(procedures, case, "report_inspection", report="f" * 64, finding="idoneo")
    step(procedures, case, refused[0], **refused[1])
    issued = step(procedures, case, "issue_attestation", **attestation)
    assert issued["issued_on"] == "2026-12-18"
    assert case.status.value == "resolved" and case.outcome == "pronta"

    tenant = load_tenants(TENANTS)["casale-monferrato"]
    shown = {s.step: s.detail for s in citizen_view(case, tenant).history}
    assert shown["protocolled"] == "2026/000001"
    assert shown["inspection_scheduled"] == "15/12/2026 09:30"  # in Rome
    assert shown["inspection_reported"] is None  # the verbale stays with the office
    assert shown["attestation_issued"] == "IA-1"


def test_a_category_without_inspection_or_protocol_is_refused_them(
    procedures: Procedures,
) -> None:
    gas = casale_case("attestazione_zone_non_metanizzate")
    when = datetime(2026, 12, 15, 8, 30, tzinfo=UTC)
    with pytest.raises(ProcedureRefused) as refused:
        step(procedures, gas, "schedule_inspection", scheduled_for=when, inspector="PL 3")
    assert refused.value.code == "inspection_not_required"
    assert refused.value.localized("it").startswith("la categoria")
    attestation = {"outcome": "ok", "attestation_number": "Z-1", "issued_on": date(2026, 12, 9)}
    step(procedures, gas, "issue_attestation", **attestation)  # no inspection to wait for

    spid = casale_case("spid_point", key="k2")
    with pytest.raises(ProcedureRefused) as no_protocol:
        step(procedures, spid, "protocol", protocol_number=None)
    assert no_protocol.value.code == "no_protocol"
    with pytest.raises(ProcedureRefused) as no_attestation:
        step(procedures, spid, "issue_attestation", **attestation)
    assert no_attestation.value.code == "no_attestation"
    # other rows pass through untouched
    assert prepare(procedures, spid, "note", {"note": "x"}, T0) == {"note": "x"}


def test_without_a_register_the_number_must_be_given(procedures: Procedures) -> None:
    procedures.register = None
    case = casale_case()
    with pytest.raises(ProcedureRefused) as refused:
        step(procedures, case, "protocol", protocol_number=None)
    assert refused.value.code == "no_protocol_register"
    step(procedures, case, "protocol", protocol_number="PG 2026/77")
    assert case.timeline[-1]["protocol_number"] == "PG 2026/77"
