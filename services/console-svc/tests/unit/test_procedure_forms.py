"""Which of Casale's procedure forms the case page offers (issue 18 point 6): by the tenant's
procedures.yaml, the case's category and status, and who is signed in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sportello_console.identity import StaffUser
from sportello_console.procedure_forms import load_procedure_steps

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
POLICE = user("office", "polizia-locale")
PLANNING = user("office", "urbanistica")


@pytest.mark.parametrize(
    ("who", "the_case", "offered"),
    [
        (URP, case(status="received"), ["protocol"]),
        (URP, case(protocol={"protocol_number": "2026/000001"}), ["schedule-inspection"]),
        (POLICE, case(status="assigned"), []),  # the office protocols nothing, takes it first
        (POLICE, case(), ["schedule-inspection"]),
        (
            POLICE,
            case(inspection={"status": "scheduled"}),
            ["schedule-inspection", "report-inspection"],
        ),
        (
            POLICE,
            case(inspection={"status": "reported"}),
            ["schedule-inspection", "report-inspection", "issue-attestation"],
        ),
        (PLANNING, case(), []),  # not its case
        (POLICE, case(GAS), ["issue-attestation"]),  # no inspection for the gas attestation
        (URP, case("spid_point", status="received"), []),
        (user("auditor"), case(status="received"), []),
    ],
)
def test_the_forms_offered(who: StaffUser, the_case: dict[str, Any], offered: list[str]) -> None:
    assert STEPS.offered(who, the_case) == offered


def test_a_tenant_without_procedures_offers_none() -> None:
    assert STEPS.offered(URP, case() | {"tenant": "torino"}) == []
