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
from sportello_intake.domain import TRANSITIONS, Case, Status, TransitionNotAllowed, case_id_for
from sportello_intake.follow import citizen_view
from sportello_intake.mailbox.attachments import AttachmentStore
from sportello_intake.procedures import (
    ProcedureDetailInvalid,
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


def application(category: str, key: str, reference: str, channel: str) -> Case:
    """An attestation's application registered at T0 in Casale."""
    return Case.register(
        case_id=case_id_for("casale-monferrato", key),
        tenant="casale-monferrato",
        reference=reference,
        kind="richiesta_intervento",
        channel=channel,
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


def casale_case(category: str = HOUSING, key: str = "k1") -> Case:
    case = application(category, key, "CM-2026-000001", "pec")
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
        "issued_on": date(2026, 12, 7),
    }
    with pytest.raises(ProcedureRefused, match="after the inspection's report"):
        step(procedures, case, "issue_attestation", **attestation)
    when = datetime(2026, 12, 15, 8, 30, tzinfo=UTC)
    step(procedures, case, "schedule_inspection", scheduled_for=when, inspector="PL 3")
    with pytest.raises(ProcedureRefused, match="upload the report first"):
        step(procedures, case, "report_inspection", report="f" * 64, finding="idoneo")
    step(procedures, case, refused[0], **refused[1])
    issued = step(procedures, case, "issue_attestation", **attestation)
    assert issued["issued_on"] == "2026-12-07"
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
    attestation = {"outcome": "ok", "attestation_number": "Z-1", "issued_on": date(2026, 12, 7)}
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


# --- triage-first (issue 18 point 2): Casale's URP protocols and forwards, the Polizia Locale
# inspects the case forwarded to it and answers, the URP issues the attestation and closes ---


def with_the_urp(category: str = HOUSING, key: str = "k3") -> Case:
    case = application(category, key, "CM-2026-000003", "counter")
    case.record_assignment("urp", "URP", T0 + timedelta(minutes=1), None)
    case.take_in_charge("urp.anna", T0 + timedelta(minutes=2), T0 + timedelta(minutes=2), None)
    return case


def triage_step(
    procedures: Procedures, case: Case, command: str, at: datetime, **details: Any
) -> dict[str, Any]:
    transition = TRANSITIONS[command]
    if case.status not in transition.allowed:  # as IntakeApplication.execute, before prepare
        raise TransitionNotAllowed(transition.action, case.status)
    prepared = prepare(procedures, case, command, details, at, triage_first=True)
    case.perform(TRANSITIONS[command], "someone", at, at, None, **prepared)
    return prepared


def test_triage_first_the_police_inspects_the_forwarded_case_and_the_urp_attests(
    procedures: Procedures,
) -> None:
    case = with_the_urp()
    at = [T0 + timedelta(hours=h) for h in range(1, 12)]
    triage_step(procedures, case, "protocol", at[0], protocol_number=None)
    when = datetime(2026, 12, 15, 8, 30, tzinfo=UTC)
    with pytest.raises(ProcedureRefused) as not_yet:  # the URP does not inspect
        triage_step(
            procedures, case, "schedule_inspection", at[1], scheduled_for=when, inspector="x"
        )
    assert not_yet.value.code == "inspection_not_forwarded" and "forward" in not_yet.value.it
    attestation = {
        "outcome": "pronta",
        "attestation_number": "IA-9",
        "issued_on": date(2026, 12, 7),
    }
    with pytest.raises(ProcedureRefused) as unanswered:
        triage_step(procedures, case, "issue_attestation", at[1], **attestation)
    assert unanswered.value.code in ("inspection_not_reported", "office_not_answered")

    case.forward(None, "urp.anna", at[1], at[1], None)
    case.record_assignment("polizia-locale", "Polizia Locale", at[2], None)
    assert (case.status.value, case.organization) == ("forwarded", "polizia-locale")
    triage_step(
        procedures, case, "schedule_inspection", at[3], scheduled_for=when, inspector="PL 3"
    )
    assert procedures.reports is not None
    digest = procedures.reports.put(b"%PDF verbale CM")
    triage_step(procedures, case, "report_inspection", at[4], report=digest, finding="idoneo")
    assert case.status.value == "forwarded"  # still the police's, until it answers
    with pytest.raises(ProcedureRefused) as before_the_answer:  # not the police's to issue
        prepare(procedures, case, "issue_attestation", attestation, at[5], triage_first=True)
    assert before_the_answer.value.code == "office_not_answered"

    case.record_office_answer(
        "Sopralluogo fatto: idoneo, verbale allegato", "pl", at[5], at[5], None
    )
    assert (case.status.value, case.organization) == ("office_answered", "urp")
    with pytest.raises(TransitionNotAllowed):  # back with the URP: the police inspects no more
        triage_step(procedures, case, "report_inspection", at[6], report=digest, finding="x")
    issued = triage_step(procedures, case, "issue_attestation", at[6], **attestation)
    assert issued["issued_on"] == "2026-12-07" and case.status.value == "resolved"
    case.close("Attestazione consegnata allo sportello", "urp.anna", at[7], at[7], None)
    assert [e["event"] for e in case.timeline] == [
        "received",
        "assigned",
        "taken_in_charge",
        "protocolled",
        "forwarded",
        "assigned",
        "inspection_scheduled",
        "inspection_reported",
        "office_answered",
        "attestation_issued",
        "closed",
    ]


def test_triage_first_the_gas_attestation_waits_for_urbanistica_s_answer(
    procedures: Procedures,
) -> None:
    case = with_the_urp("attestazione_zone_non_metanizzate", key="k4")
    attestation = {"outcome": "ok", "attestation_number": "Z-2", "issued_on": date(2026, 12, 7)}
    at = T0 + timedelta(hours=1)
    with pytest.raises(ProcedureRefused, match="once the competent office has answered"):
        triage_step(procedures, case, "issue_attestation", at, **attestation)
    case.forward("urbanistica", "urp.anna", at, at, None)
    case.record_assignment("urbanistica", "Ufficio Urbanistica", at, None)
    case.record_office_answer("Zona non metanizzata: confermato", "urb", at, at, None)
    triage_step(procedures, case, "issue_attestation", at, **attestation)
    assert case.attestation["attestation_number"] == "Z-2"  # type: ignore[attr-defined]


@pytest.mark.parametrize("triage_first", [False, True])
def test_an_attestation_dated_before_the_application_was_received_is_refused(
    procedures: Procedures, triage_first: bool
) -> None:
    case = casale_case("attestazione_zone_non_metanizzate", key=f"k5{triage_first}")
    if triage_first:
        case.forward(None, "urp", T0 + timedelta(hours=3), T0 + timedelta(hours=3), None)
        case.record_office_answer(
            "ok", "urb", T0 + timedelta(hours=4), T0 + timedelta(hours=4), None
        )
    # received 7 December at 10:00 in Rome: the 6th is before, the 7th is the day itself
    before = {"outcome": "ok", "attestation_number": "Z-3", "issued_on": date(2026, 12, 6)}
    now = T0 + timedelta(hours=5)
    with pytest.raises(ProcedureDetailInvalid) as refused:
        prepare(procedures, case, "issue_attestation", before, now, triage_first=triage_first)
    problem = refused.value
    assert (problem.code, problem.field) == ("issued_before_receipt", "issued_on")
    assert problem.problem_extra() == {"procedure": "issued_before_receipt", "field": "issued_on"}
    assert "06/12/2026" in problem.localized("it") and "07/12/2026" in problem.localized("it")
    assert "before the application was received (2026-12-07)" in problem.localized("en")
    same_day = before | {"issued_on": "2026-12-07"}
    prepared = prepare(
        procedures, case, "issue_attestation", same_day, now, triage_first=triage_first
    )
    assert prepared["issued_on"] == "2026-12-07"


def test_an_attestation_dated_after_today_is_refused(procedures: Procedures) -> None:
    """Recorded at 23:30 on 7 December in Rome (22:30 UTC): the 8th is the future."""
    case = casale_case("attestazione_zone_non_metanizzate", key="k7")
    late = datetime(2026, 12, 7, 22, 30, tzinfo=UTC)
    ahead = {"outcome": "ok", "attestation_number": "Z-4", "issued_on": date(2026, 12, 8)}
    with pytest.raises(ProcedureDetailInvalid) as refused:
        prepare(procedures, case, "issue_attestation", ahead, late, triage_first=False)
    assert (refused.value.code, refused.value.field) == ("issued_in_the_future", "issued_on")
    assert "08/12/2026" in refused.value.localized("it")
    assert "a future date (today is 2026-12-07)" in refused.value.localized("en")
    today = ahead | {"issued_on": "2026-12-07"}
    prepared = prepare(procedures, case, "issue_attestation", today, late, triage_first=False)
    assert prepared["issued_on"] == "2026-12-07"


def test_late_at_night_the_day_of_receipt_is_rome_s() -> None:
    """Received at 23:30 UTC on 6 December, 00:30 on the 7th in Rome: the 6th is before it."""
    case = casale_case("attestazione_zone_non_metanizzate", key="k6")
    late = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    object.__setattr__(case, "received_at", late)
    with pytest.raises(ProcedureDetailInvalid):
        prepare(
            Procedures(load_procedures(TENANTS)),
            case,
            "issue_attestation",
            {"outcome": "ok", "attestation_number": "Z", "issued_on": "2026-12-06"},
            T0,
        )


def test_the_rows_say_who_inspects_and_where() -> None:
    for command in ("schedule_inspection", "report_inspection"):
        row = TRANSITIONS[command]
        assert row.may({"office"}) and row.may({"admin"})
        assert not row.may({"operator"}) and not row.may({"partner"})
        assert Status.FORWARDED in row.allowed
        assert Status.OFFICE_ANSWERED not in row.allowed
    issue = TRANSITIONS["issue_attestation"]
    assert Status.FORWARDED not in issue.allowed and Status.OFFICE_ANSWERED in issue.allowed
    assert TRANSITIONS["protocol"].may({"operator"}) and not TRANSITIONS["protocol"].may({"office"})
