"""One registration refused at the door does not refuse the others committed with it.

Registrations that arrive together share one transaction (group commit). A request refused for
what it says (unknown category, an address that is not one, a late entry without its reason)
gets its own refusal; the others in the same batch are registered as if alone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sportello_intake.application import (
    IntakeApplication,
    LateEntryNeedsReason,
    RegisterCase,
    UnknownCategory,
)
from sportello_intake.contacts import ContactUnusable
from sportello_intake.main import open_case_index
from sportello_shared.tenants import load_tenants

from .conftest import ROOT, settings_for

GOOD = {
    "tenant": "torino",
    "kind": "segnalazione",
    "channel": "web",
    "category": "decoro_pulizia",
    "description": "Cassonetti traboccanti",
    "citizen": {"name": "Maria Rossi", "email": "maria.rossi@example.org"},
}
LONG_AGO = datetime.now(UTC) - timedelta(days=400)


@pytest.mark.parametrize(
    ("refused", "error"),
    [
        ({"category": "astronavi"}, UnknownCategory),
        ({"citizen": {"name": "Mario Bianchi", "address": "n/d"}}, ContactUnusable),
        ({"citizen": {"name": "Mario Bianchi", "phone": "12"}}, ContactUnusable),
        ({"received_at": LONG_AGO}, LateEntryNeedsReason),
    ],
)
def test_a_refusal_at_the_door_is_its_own_not_its_batchs(
    store: dict[str, str], nats_url: str, refused: dict[str, object], error: type
) -> None:
    settings = settings_for(store, nats_url)
    env = settings.eventsourcing_env()  # makes the data directory the index file lives in
    app = IntakeApplication(
        load_tenants(ROOT / "deploy" / "tenants"), open_case_index(settings), env=env
    )
    try:
        commands = [
            RegisterCase(**GOOD, actor="test"),
            RegisterCase(**(GOOD | refused), actor="test"),  # type: ignore[arg-type]
            RegisterCase(**GOOD, actor="test"),
        ]
        first, middle, last = app.register_cases(commands)
        assert isinstance(middle, error), middle
        for outcome in (first, last):
            assert not isinstance(outcome, Exception), outcome
            assert app.get_case(outcome.case.id).reference == outcome.case.reference
    finally:
        app.close()
