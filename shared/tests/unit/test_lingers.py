"""Which linger a service's relay and consumers get (runtime.py): the service's choice, unless
the operator's RELAY_LINGER, CONSUMER_LINGER or CONSUMER_BACKGROUND_LINGER says otherwise."""

from __future__ import annotations

from typing import Any

import pytest
from sportello_shared.bus.consumer_spec import ConsumerSpec
from sportello_shared.runtime import Runtime, ServiceParts
from sportello_shared.settings import ServiceSettings

PROMPT = ConsumerSpec("svc", "CASES", "svc", ("cases.>",))
BACKGROUND = ConsumerSpec("svc", "SLA", "svc", ("sla.>",), background=True)


def runtime(relay_linger: float, **settings: Any) -> Runtime[Any]:
    parts: ServiceParts[Any] = ServiceParts(
        settings=ServiceSettings(**settings),
        make_application=lambda env: None,
        to_public=lambda event: None,
        relay_linger=relay_linger,
    )
    return Runtime(parts)


def test_the_relay_lingers_as_the_service_chose(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RELAY_LINGER", raising=False)
    assert runtime(0.2).relay_linger() == 0.2
    assert runtime(0.0).relay_linger() == 0.0


def test_the_operator_sets_every_relays_linger(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAY_LINGER", "0")
    assert runtime(0.2).relay_linger() == 0.0
    monkeypatch.setenv("RELAY_LINGER", "0.05")
    assert runtime(0.0).relay_linger() == 0.05


def test_a_background_consumer_lingers_longer(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CONSUMER_LINGER", "CONSUMER_BACKGROUND_LINGER"):
        monkeypatch.delenv(name, raising=False)
    service = runtime(0.0)
    assert (service.consumer_linger(PROMPT), service.consumer_linger(BACKGROUND)) == (0.1, 1.0)
    monkeypatch.setenv("CONSUMER_BACKGROUND_LINGER", "0.3")
    monkeypatch.setenv("CONSUMER_LINGER", "0")
    service = runtime(0.0)
    assert (service.consumer_linger(PROMPT), service.consumer_linger(BACKGROUND)) == (0.0, 0.3)


def test_a_linger_past_a_second_is_refused() -> None:
    with pytest.raises(ValueError, match="less than or equal to 1"):
        ServiceSettings(RELAY_LINGER="5")
