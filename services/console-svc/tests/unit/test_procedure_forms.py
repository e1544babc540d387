"""Which of Casale's procedure forms the case page offers (issue 18 point 6): by the tenant's
procedures.yaml, the case's category and status, and who is signed in."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sportello_console.identity import StaffUser
from sportello_console.procedure_forms import ProcedureSteps, load_procedure_steps

TENANTS = Path(__file__).resolve().parents[4] / "deploy" / "tenants"
STEPS = load_procedure_steps(TENANTS)
HOUSING = "attestazione_idoneita_alloggiativa"
GAS = "attestazione_zone_non_metanizzate"


def user(role: str, organization: str | None = None) -> StaffUser:
    return StaffUser(
        subject="u",
        name="u",
        role=role,
        tenant="casale-monferrato",
        organization=organization,
    )


def case(category: str = HOUSING, status: str = "taken_in_charge", **facts: Any) -> dict[str, Any]:
    return {
        "tenant": "casale-monferrato",
        "category": category,
        "status": status,
        "organization": "polizia-locale",
        **facts,
    }


URP = user("operator")
URP_DESK = user("office", "urp")
POLICE = user("office", "polizia-locale")
PLANNING = user("office", "urbanistica")
REPORTED = {"status": "reported"}


def forwarded(category: str = HOUSING, **facts: Any) -> dict[str, Any]:
    return case(category, "forwarded", **facts)


def answered(category: str = HOUSING, **facts: Any) -> dict[str, Any]:
    return case(category, "office_answered", **facts) | {"organization": "urp"}


@pytest.mark.parametrize(
    ("who", "the_case", "offered"),
    [
        (URP, case(status="received"), ["protocol"]),
        (URP, case(protocol={"protocol_number": "2026/000001"}), []),  # the URP inspects nothing
        (POLICE, case(status="assigned"), []),  # the office protocols nothing
        # triage-first (Casale's URP): the office inspects the case forwarded to it ...
        (POLICE, case(), []),
        (POLICE, forwarded(), ["schedule-inspection"]),
        (
            POLICE,
            forwarded(inspection={"status": "scheduled"}),
            ["schedule-inspection", "report-inspection"],
        ),
        (POLICE, forwarded(inspection=REPORTED), ["schedule-inspection", "report-inspection"]),
        (URP, forwarded(protocol={"protocol_number": "2026/000001"}), []),
        (PLANNING, forwarded(), []),  # not its case
        (PLANNING, forwarded(GAS) | {"organization": "urbanistica"}, []),  # no inspection
        # ... and the URP issues the attestation once the office has answered
        (URP, answered(inspection=REPORTED, protocol={"n": 1}), ["issue-attestation"]),
        (URP_DESK, answered(inspection=REPORTED, protocol={"n": 1}), ["issue-attestation"]),
        (URP, answered(protocol={"n": 1}), []),  # the inspection's verbale first
        (POLICE, answered(inspection=REPORTED, protocol={"n": 1}), []),  # back with the URP
        (URP, answered(GAS, protocol={"n": 1}), ["issue-attestation"]),
        (URP, case("spid_point", status="received"), []),
        (user("auditor"), case(status="received"), []),
    ],
)
def test_the_forms_offered(who: StaffUser, the_case: dict[str, Any], offered: list[str]) -> None:
    assert STEPS.offered(who, the_case) == offered


def test_in_a_direct_tenant_the_office_with_the_case_does_every_step() -> None:
    casale = STEPS.by_tenant["casale-monferrato"]
    assert casale.triage_first
    direct = ProcedureSteps({"casale-monferrato": replace(casale, triage_first=False)})
    assert direct.offered(POLICE, case(inspection=REPORTED)) == [
        "schedule-inspection",
        "report-inspection",
        "issue-attestation",
    ]
    assert direct.offered(POLICE, forwarded()) == []
    assert direct.offered(URP, case(GAS, protocol={"n": 1})) == ["issue-attestation"]


def test_a_tenant_without_procedures_offers_none() -> None:
    assert STEPS.offered(URP, case() | {"tenant": "torino"}) == []
