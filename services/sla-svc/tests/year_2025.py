"""A year of Casale Monferrato's URP (2025), dated event by event, for the yearly report's tests.

Eight cases: seven received in 2025, one on 30 December 2024 (in no 2025 figure). The expected
figures are worked out by hand in the tests, from these dates (Rome time; summer time starts on
30 March 2025, so a term across it is one hour shorter than its days).

  A 15 Jan  zone non metanizzate, e-mail   assigned +1 d    closed 4 Feb (20 d: met)      rated 5
  B  3 Mar  zone non metanizzate, phone    assigned 10 Mar  waits 13-23 Mar, closed 10 Apr
            (forwarding breached)                           (38 d, 10 paused: met)
  C  4 Mar  idoneità alloggiativa, counter assigned +23 h   closed 5 May (62 d: breached) rated 1
  D 10 Jun  zone non metanizzate, web      assigned +1 d    closed 20 Jun (met), reopened 1 Jul,
                                                            closed 20 Aug (50 d: breached) rated 5
  E 15 Sep  segnalazioni (reclamo), phone  assigned +2 h                                  rated 2
  F  3 Nov  URP risponde, e-mail           assigned +1 d                                  rated 4
  G 22 Dec  zone non metanizzate, e-mail   assigned +1 d    still open on the report's day
  H 30 Dec 2024  zone non metanizzate      assigned 2 Jan 2025 (its clocks started in 2024)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from sportello_contracts import EventPayload
from sportello_contracts import cases as c
from sportello_contracts.notifications import SurveyAnswered
from sportello_sla.calendars import ROME

TENANT = "casale-monferrato"
AS_OF = datetime(2026, 1, 10, 12, 0, tzinfo=ROME)
SCENARIO = UUID("c0ffee00-2025-4000-8000-000000000000")
ZONE = "attestazione_zone_non_metanizzate"
HOUSING = "attestazione_idoneita_alloggiativa"


def rome(month: int, day: int, hour: int = 10, year: int = 2025) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=ROME)


def case_id(letter: str, salt: str = "") -> str:
    return str(uuid5(SCENARIO, letter + salt))


@dataclass(frozen=True)
class Step:
    payload: EventPayload
    organization: str | None = None
    producer: str = "intake"


def _received(cid: str, at: datetime, category: str, channel: str, kind: str) -> Step:
    return Step(
        c.CaseReceived(
            case_id=cid,
            reference="CM-2025-000001",
            occurred_at=at,
            kind=kind,
            channel=channel,
            category=category,
            description="Richiesta di prova",
            citizen=c.Citizen(name="Maria Rossi", email="maria.rossi@example.org"),
            received_at=at,
            registered_at=at,
        )
    )


def _event(kind: type[Any], cid: str, at: datetime, **fields: Any) -> Step:
    return Step(kind(case_id=cid, reference="CM-2025-000001", occurred_at=at, **fields))


def _assigned(cid: str, at: datetime, organization: str) -> Step:
    payload = c.CaseAssigned(
        case_id=cid,
        reference="CM-2025-000001",
        occurred_at=at,
        organization=organization,
        organization_name=organization,
        rule_id="r",
        rule_version=1,
        reasons=["categoria"],
    )
    return Step(payload, organization, "routing")


def _rated(cid: str, at: datetime, rating: int) -> Step:
    return Step(SurveyAnswered(case_id=cid, rating=rating, at=at), None, "notify")


def steps(salt: str = "") -> list[Step]:
    """The year's events in the order the streams carry them. `salt` makes other case ids."""
    a, b, cc, d, e, f, g, h = (case_id(x, salt) for x in "ABCDEFGH")
    closed, waiting, resumed, reopened = (
        c.CaseClosed,
        c.CaseWaitingForCitizen,
        c.CaseResumed,
        (c.CaseReopened),
    )
    return [
        _received(h, rome(12, 30, year=2024), ZONE, "email", "segnalazione"),
        _assigned(h, rome(1, 2), "urbanistica"),
        _received(a, rome(1, 15), ZONE, "email", "segnalazione"),
        _assigned(a, rome(1, 16), "urbanistica"),
        _event(closed, a, rome(2, 4), outcome="attestazione rilasciata"),
        _rated(a, rome(2, 4, 12), 5),
        _received(b, rome(3, 3), ZONE, "phone", "segnalazione"),
        _received(cc, rome(3, 4), HOUSING, "counter", "segnalazione"),
        _assigned(cc, rome(3, 5, 9), "polizia-locale"),
        _assigned(b, rome(3, 10), "urbanistica"),
        _event(waiting, b, rome(3, 13), request="planimetria dell'immobile"),
        _event(resumed, b, rome(3, 23)),
        _event(closed, b, rome(4, 10), outcome="attestazione rilasciata"),
        _event(closed, cc, rome(5, 5), outcome="attestazione rilasciata"),
        _rated(cc, rome(5, 6), 1),
        _received(d, rome(6, 10), ZONE, "web", "segnalazione"),
        _assigned(d, rome(6, 11), "urbanistica"),
        _event(closed, d, rome(6, 20), outcome="attestazione rilasciata"),
        _rated(d, rome(6, 20, 12), 5),
        _event(reopened, d, rome(7, 1), reason="attestazione incompleta"),
        _event(closed, d, rome(8, 20), outcome="attestazione corretta"),
        _received(e, rome(9, 15), "segnalazioni_reclami_suggerimenti", "phone", "reclamo"),
        _assigned(e, rome(9, 15, 12), "urp"),
        _rated(e, rome(9, 16), 2),
        _received(f, rome(11, 3), "urp_risponde", "email", "richiesta_informazioni"),
        _assigned(f, rome(11, 4), "urp"),
        _rated(f, rome(11, 5), 4),
        _received(g, rome(12, 22), ZONE, "email", "segnalazione"),
        _assigned(g, rome(12, 23), "urbanistica"),
    ]


# A phone line down for a day (not a breach): recorded by the URP.
LINE_DOWN = {
    "title": "Numero verde 800 516166 non raggiungibile per un guasto della linea",
    "started_at": rome(10, 7, 8),
    "ended_at": rome(10, 7, 18),
}
FORWARDING_CAUSE = "Ufficio Urbanistica chiuso per ferie senza sostituto"
FORWARDING_ACTION = "Turni di sostituzione tra gli uffici nei periodi di ferie"
HOUSING_CAUSE = "Sopralluogo della Polizia Locale rinviato per carenza di personale"
LINE_ACTION = "Secondo operatore telefonico con linea di riserva"
ONE_DAY = timedelta(days=1)
