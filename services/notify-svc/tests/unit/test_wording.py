"""The words messages are made of, and the tenants' way back read from their files."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
from sportello_notify.adapters.policies import load_policies
from sportello_notify.wording import failure_cause, kind_words, opening_hours
from sportello_shared.tenants import OpeningSpan, load_tenants

TENANTS_DIR = Path(__file__).resolve().parents[4] / "deploy" / "tenants"


def span(day: int, opens: str, closes: str) -> OpeningSpan:
    return OpeningSpan(
        weekday=day, opens=time.fromisoformat(opens), closes=time.fromisoformat(closes)
    )


def test_opening_hours_read_as_prose_in_both_languages() -> None:
    week = [span(d, "09:00", "13:15") for d in range(5)] + [span(1, "14:15", "17:00")]
    assert opening_hours(week, "it") == (
        "lunedì 9:00-13:15; martedì 9:00-13:15 e 14:15-17:00; dal mercoledì al venerdì 9:00-13:15"
    )
    assert opening_hours(week[:2], "en") == "Monday and Tuesday 9:00-13:15"
    always = [span(d, "00:00", "23:59") for d in range(7)]
    assert opening_hours(always, "it") == "tutti i giorni, 24 ore su 24"
    assert opening_hours([], "it") == ""


@pytest.mark.parametrize(
    ("kind", "it", "en"),
    [
        ("segnalazione", "la sua segnalazione", "your report"),
        ("reclamo", "il suo reclamo", "your complaint"),
        ("suggerimento", "il suo suggerimento", "your suggestion"),
        (
            "richiesta_informazioni",
            "la sua richiesta di informazioni",
            "your request for information",
        ),
        ("richiesta_intervento", "la sua richiesta di intervento", "your request for action"),
    ],
)
def test_each_kind_has_its_own_word(kind: str, it: str, en: str) -> None:
    assert kind_words(kind, "it").your == it and kind_words(kind, "en").your == en


def test_provider_replies_become_causes_an_office_can_act_on() -> None:
    assert "rifiutato" in failure_cause("recipient refused: 550 5.1.1 no such user")
    assert "canale" in failure_cause("no sms channel configured")
    assert "tentativi" in failure_cause("gave up after 5 attempts: timeout")
    assert "cancellati" in failure_cause("the recipient's personal data was erased")


def test_every_tenant_has_a_way_back_and_its_sla_terms() -> None:
    tenants = load_tenants(TENANTS_DIR)
    policies = load_policies(TENANTS_DIR, tenants)
    assert set(policies) == {t.id for t in tenants}
    for tenant_id, policy in policies.items():
        assert policy.contact is not None and policy.contact.phone, tenant_id
        assert policy.standard_names and all(
            "_" not in name for name in policy.standard_names.values()
        ), tenant_id
    assert policies["torino"].waiting.reply_days == 30  # the pause's max_days in its sla.yaml
    assert policies["torino"].contact.web.startswith("https://www.comune.torino.it/")  # type: ignore[union-attr]
