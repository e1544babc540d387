"""Marcallo's urgent standard, dated: an urgent category (tenant.yaml's `urgent: true`) starts a
2-hour clock at receipt, day and night, under sla.yaml's version 2 (from 5 December 2026)."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID, uuid4

import pytest
from sportello_contracts import cases as c
from sportello_sla.application import SlaApplication
from sportello_sla.domain import Clock, ClockStatus
from sportello_sla.policies import CaseFacts, Condition

from .conftest import CATALOGUE, assigned, lifecycle, process, received, rome

NIGHT = rome(2027, 1, 12, 3, 10)  # a Tuesday, 03:10


@pytest.fixture
def app() -> SlaApplication:
    return SlaApplication(CATALOGUE)


def urgent_clock(app: SlaApplication, case_id: str) -> list[Clock]:
    return [c for c in app.clocks_for(UUID(case_id)) if c.standard == "urgent_intervention_2h"]


def test_a_flood_at_night_has_two_hours_to_be_taken_in_charge_and_meets_them(
    app: SlaApplication,
) -> None:
    case_id = str(uuid4())
    process(app, "marcallo", received(case_id, NIGHT, category="allagamenti"))
    process(app, "marcallo", assigned(case_id, NIGHT + timedelta(minutes=1), "ufficio-tecnico"))
    [clock] = urgent_clock(app, case_id)
    assert clock.deadline == NIGHT + timedelta(hours=2)  # hours, every day: night counts too
    assert clock.policy_version == 2 and clock.organization == "ufficio-tecnico"
    taken = lifecycle(
        c.CaseTakenInCharge,
        case_id,
        NIGHT + timedelta(minutes=50),
        organization="ufficio-tecnico",
        operator="reperibile",
    )
    process(app, "marcallo", taken)
    assert app.clocks_for(UUID(case_id))[0].status is ClockStatus.MET


def test_an_urgent_case_nobody_takes_in_charge_breaches_after_two_hours(
    app: SlaApplication,
) -> None:
    case_id = str(uuid4())
    process(app, "marcallo", received(case_id, NIGHT, category="rete_idrica"))
    breached = app.sweep(NIGHT + timedelta(hours=2, seconds=1))
    assert [(c.case_id, c.standard) for c in breached] == [
        (UUID(case_id), "urgent_intervention_2h")
    ]


@pytest.mark.parametrize(
    ("tenant", "category", "at"),
    [
        ("marcallo", "informazioni_comunali", NIGHT),  # not urgent
        ("marcallo", "allagamenti", rome(2026, 12, 4, 3, 10)),  # before version 2
        ("torino", "decoro_pulizia", NIGHT),  # no urgent standard
    ],
)
def test_no_urgent_clock_where_the_case_or_the_day_is_not_covered(
    app: SlaApplication, tenant: str, category: str, at: datetime
) -> None:
    case_id = str(uuid4())
    process(app, tenant, received(case_id, at, category=category))
    assert urgent_clock(app, case_id) == []


def test_the_urgent_condition_follows_the_catalogue_flag() -> None:
    facts = CaseFacts(kind="segnalazione", channel="phone", category="x")
    assert Condition(urgent=True).matches(facts.model_copy(update={"urgent": True}))
    assert not Condition(urgent=True).matches(facts)
    assert Condition(urgent=False).matches(facts) and Condition().matches(facts)


def test_the_rules_a_case_gets_are_remembered_per_version_event_and_facts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Worked out once per (policy version, event, facts), the same as worked out afresh; an
    urgent category or an older version is another answer; the memory is bounded."""
    from sportello_sla import catalogue as catalogue_module

    marcallo = CATALOGUE["marcallo"]
    flood = CaseFacts(kind="segnalazione", channel="phone", category="allagamenti")
    plain = flood.model_copy(update={"category": "verde_pubblico"})
    before_v2 = rome(2026, 11, 2, 10, 0)

    def ids(facts: CaseFacts, at: datetime) -> list[str]:
        return [rule.id for rule in marcallo.rules_starting("received", facts, at)]

    first = ids(flood, NIGHT)
    assert "urgent_intervention_2h" in first and ids(flood, NIGHT) == first
    assert "urgent_intervention_2h" not in ids(plain, NIGHT)
    assert "urgent_intervention_2h" not in ids(flood, before_v2)  # version 1 had none
    assert ids(flood, NIGHT) == first
    monkeypatch.setattr(catalogue_module, "REMEMBERED_ANSWERS", 2)
    ids(plain, before_v2)
    assert len(marcallo._rules_starting) <= 2 and ids(flood, NIGHT) == first
