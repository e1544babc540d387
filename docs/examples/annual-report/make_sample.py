"""A sample of Casale Monferrato's yearly report (2026), for docs/images/annual-report-p*.png.

A year of made-up cases (seeded, so the same every time: no real person) goes through sla-svc's
own reactions in memory, the URP writes in the anomaly register, and the report is rendered by
the code behind `GET /reports/annual?tenant=casale-monferrato&year=2026&format=pdf`.

    .venv/bin/python docs/examples/annual-report/make_sample.py /tmp/annual-2026.pdf
    pdftoppm -r 80 -png -f 1 -l 3 /tmp/annual-2026.pdf docs/images/annual-report-p
"""

from __future__ import annotations

import random
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid5

from eventsourcing.persistence import Tracking
from sportello_contracts import EventPayload, wrap
from sportello_contracts import cases as c
from sportello_contracts.notifications import SurveyAnswered
from sportello_shared.application import Incoming
from sportello_sla.adapters.annual_rendering import as_pdf
from sportello_sla.adapters.policy_files import load_catalogue
from sportello_sla.anomalies import ActionStatus, AnomalyKind
from sportello_sla.application import SlaApplication
from sportello_sla.calendars import ROME
from sportello_sla.register import AnomalyCommands, register_entries
from sportello_sla.reporting import build_annual

TENANT = "casale-monferrato"
ROOT = Path(__file__).resolve().parents[3]
AS_OF = datetime(2026, 12, 4, 18, 0, tzinfo=ROME)
SEED = UUID("5a3b1e00-2026-4000-8000-000000000001")
# (category, organization, weight)
SERVICES = [
    ("segnalazioni_reclami_suggerimenti", "urp", 34),
    ("urp_risponde", "urp", 30),
    ("prenotazione_passaporti", "urp", 10),
    ("spid_point", "urp", 8),
    ("attestazione_zone_non_metanizzate", "urbanistica", 10),
    ("attestazione_idoneita_alloggiativa", "polizia-locale", 8),
]
CHANNELS = [("phone", 40), ("email", 25), ("counter", 20), ("web", 10), ("pec", 5)]
KINDS = [("segnalazione", 45), ("richiesta_informazioni", 35), ("reclamo", 12), ("suggerimento", 8)]


def pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([k for k, _ in weighted], [w for _, w in weighted])[0]


def at_office_hours(rng: random.Random, day: date) -> datetime:
    hour, minute = rng.randint(9, 12), rng.randint(0, 59)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ROME)


def the_year(app: SlaApplication) -> None:
    rng = random.Random(2026)
    counter = iter(range(1, 10**6))

    def send(payload: EventPayload) -> None:
        number = next(counter)
        envelope = wrap(
            payload,
            aggregate_id=getattr(payload, "case_id", "x"),
            aggregate_version=number,
            source="/sample",
            subject=getattr(payload, "case_id", "x"),
            time=AS_OF,
            tenant=TENANT,
            organization="unassigned",
            traceparent=None,
        )
        app.process_incoming(Incoming(envelope, payload), Tracking("sample", number))

    events: list[tuple[datetime, EventPayload]] = []
    day = date(2026, 1, 2)
    n = 0
    while day < AS_OF.date():
        if day.weekday() < 5:
            for _ in range(rng.randint(1, 4)):
                n += 1
                events.extend(_case(rng, str(uuid5(SEED, str(n))), at_office_hours(rng, day)))
        day += timedelta(days=1)
    for _, payload in sorted(events, key=lambda e: e[0]):
        if _ <= AS_OF:
            send(payload)


def _case(rng: random.Random, cid: str, start: datetime) -> list[tuple[datetime, EventPayload]]:
    category, organization = rng.choices(
        [(s, o) for s, o, _ in SERVICES], [w for _, _, w in SERVICES]
    )[0]
    ref = {"case_id": cid, "reference": "CM-2026-000000"}
    received = c.CaseReceived(
        **ref,
        occurred_at=start,
        kind=pick(rng, KINDS),
        channel=pick(rng, CHANNELS),
        category=category,
        description="Esempio",
        citizen=c.Citizen(name="Cittadino di esempio", email="esempio@example.org"),
        received_at=start,
        registered_at=start,
    )
    # forwarding: mostly within the day, slower in August (holidays)
    slow = start.month == 8 and rng.random() < 0.35
    assigned_at = start + timedelta(hours=rng.uniform(70, 120) if slow else rng.uniform(0.2, 30))
    assigned = c.CaseAssigned(
        **ref,
        occurred_at=assigned_at,
        organization=organization,
        organization_name=organization,
        rule_id="r",
        rule_version=1,
        reasons=["categoria"],
    )
    out: list[tuple[datetime, EventPayload]] = [(start, received), (assigned_at, assigned)]
    late = organization == "polizia-locale" and start.month in (3, 4) and rng.random() < 0.5
    closed_at = assigned_at + timedelta(days=rng.uniform(36, 45) if late else rng.uniform(1, 25))
    out.append((closed_at, c.CaseClosed(**ref, occurred_at=closed_at, outcome="concluso")))
    if rng.random() < 0.3:
        rating = rng.choices([1, 2, 3, 4, 5], [4, 6, 15, 40, 35])[0]
        answered = closed_at + timedelta(hours=5)
        out.append((answered, SurveyAnswered(case_id=cid, rating=rating, at=answered)))
    return out


def the_register(app: SlaApplication) -> None:
    commands = AnomalyCommands(app)
    by, at = "urp", AS_OF
    year = (date(2026, 1, 1), date(2026, 12, 31))
    entries = register_entries(app.board.rows(), app.board.anomalies(), TENANT, year, AS_OF)
    for entry in entries:
        if entry.standard == "forwarding_2wd" and entry.started_at.month == 8:
            cause = "Personale URP ridotto nel periodo di ferie estive"
            commands.record_cause(entry, cause, by, at)
            commands.add_action(
                entry, "Calendario ferie con almeno due operatori presenti", ActionStatus.PLANNED,
                date(2027, 6, 30), by, at,
            )  # fmt: skip
        elif entry.standard == "attestation_30d" and entry.organization == "polizia-locale":
            commands.record_cause(entry, "Sopralluoghi rinviati per carenza di personale", by, at)
            commands.add_action(
                entry, "Sopralluoghi programmati a settimane alterne con l'Urbanistica",
                ActionStatus.DONE, None, by, at,
            )  # fmt: skip
    line = commands.record(
        tenant=TENANT, organization="urp", kind=AnomalyKind.INTERRUPTION,
        title="Numero verde 800 516166 non raggiungibile per un guasto della linea",
        started_at=datetime(2026, 10, 7, 8, tzinfo=ROME),
        ended_at=datetime(2026, 10, 7, 17, tzinfo=ROME), by=by, at=at,
    )  # fmt: skip
    [entry] = [
        e
        for e in register_entries(app.board.rows(), app.board.anomalies(), TENANT, year, AS_OF)
        if e.anomaly_id == line
    ]
    commands.record_cause(entry, "Guasto della centrale telefonica del gestore", by, at)
    commands.add_action(
        entry, "Linea di riserva su un secondo gestore", ActionStatus.IN_PROGRESS,
        date(2027, 3, 31), by, at,
    )  # fmt: skip


def main() -> None:
    catalogue = load_catalogue(ROOT / "deploy" / "tenants")
    app = SlaApplication(catalogue, env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    the_year(app)
    the_register(app)
    report = build_annual(catalogue, app.board, TENANT, 2026, AS_OF)
    Path(sys.argv[1]).write_bytes(as_pdf(report))


if __name__ == "__main__":
    main()
