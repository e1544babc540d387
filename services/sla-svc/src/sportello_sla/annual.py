"""The yearly report's figures, from the board (clocks, cases, ratings) and the anomaly register.

Pure: the same rows and the same `as_of` give the same report, to the byte of its canonical JSON.
A clock counts in the year (and month) its latest run started, under the policy version it runs
by; a case in the year it was received; a rating in the year it was given.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .annual_model import (
    MONTHS,
    Action,
    AnnualReport,
    AnomalyLine,
    Count,
    Month,
    OfficeLine,
    Satisfaction,
    StandardFigures,
    Volumes,
)
from .calendars import ROME
from .catalogue import TenantSla
from .clock_rows import ClockRow, Rating
from .narrative import sections
from .policies import PolicyVersion
from .readmodels import AnomalyRow, CaseRow
from .register import RegisterEntry, register_entries
from .reports import UNASSIGNED, Tally

CHANNELS = {
    "phone": "Telefono",
    "voicemail": "Segreteria telefonica",
    "ivr": "Risponditore automatico",
    "email": "E-mail",
    "pec": "PEC",
    "fax": "Fax",
    "post": "Posta",
    "web": "Sito web",
    "app": "App",
    "counter": "Sportello",
    "open311": "Open311",
    "platform": "Altra piattaforma",
}
KINDS = {
    "segnalazione": "Segnalazioni",
    "reclamo": "Reclami",
    "suggerimento": "Suggerimenti",
    "richiesta_informazioni": "Richieste di informazioni",
    "richiesta_intervento": "Richieste di intervento",
}
UNASSIGNED_LABEL = "Non assegnata"


@dataclass(frozen=True)
class Sources:
    """What the report reads: the board's rows (live, or a replay's) and the register."""

    clocks: Sequence[ClockRow]
    cases: Sequence[CaseRow]
    ratings: Sequence[Rating]
    anomalies: Sequence[AnomalyRow]


def annual_report(config: TenantSla, year: int, sources: Sources, as_of: datetime) -> AnnualReport:
    tenant = config.policy.tenant
    period = (date(year, 1, 1), date(year, 12, 31))
    names = config.names
    offices = dict(names.organizations)
    cases = [c for c in sources.cases if c.tenant == tenant and _in(c.received_at, period)]
    ratings = [r for r in sources.ratings if r.tenant == tenant and _in(r.at, period)]
    clocks = [c for c in sources.clocks if c.tenant == tenant and _in(c.started_at, period)]
    by_case = {c.case_id: c for c in sources.cases if c.tenant == tenant}
    entries = register_entries(sources.clocks, sources.anomalies, tenant, period, as_of)
    standard_names = {s.id: s.name for v in config.policy.versions for s in v.standards}
    report = AnnualReport(
        tenant=tenant,
        tenant_name=names.name or tenant,
        carta=config.policy.carta,
        year=year,
        as_of=as_of,
        standards=_standards(config, clocks, period, as_of, offices),
        volumes=_volumes(cases, offices, names.categories),
        satisfaction_overall=_satisfaction("all", "Tutti i servizi", [r.rating for r in ratings]),
        satisfaction_by_office=_rated_by(ratings, lambda r: r.organization or UNASSIGNED, offices),
        satisfaction_by_service=_rated_by(
            ratings,
            lambda r: by_case[r.case_id].category if r.case_id in by_case else UNASSIGNED,
            dict(names.categories),
        ),
        anomalies=_anomalies(entries, offices, standard_names),
        texts={},
    )
    return report.model_copy(
        update={"texts": {lang: sections(report, lang) for lang in ("it", "en")}}
    )


def _in(instant: datetime, period: tuple[date, date]) -> bool:
    return period[0] <= instant.astimezone(ROME).date() <= period[1]


def _versions_in(
    versions: Sequence[PolicyVersion], period: tuple[date, date]
) -> list[tuple[PolicyVersion, date, date]]:
    """Each version in force for part of the period, with the part."""
    found = []
    for i, version in enumerate(versions):
        ends = versions[i + 1].valid_from - timedelta(days=1) if i + 1 < len(versions) else None
        first = max(version.valid_from, period[0])
        last = min(ends, period[1]) if ends else period[1]
        if first <= last:
            found.append((version, first, last))
    return found


def _outcomes(tally: Tally) -> dict[str, int | float | None]:
    return {
        "cases": tally.cases,
        "met": tally.met,
        "breached": tally.breached,
        "open": tally.open,
        "compliance": tally.compliance,
    }


def _times(tally: Tally) -> dict[str, float | None]:
    return {"median_hours": tally.median_hours, "p90_hours": tally.p90_hours}


def _standards(
    config: TenantSla,
    clocks: list[ClockRow],
    period: tuple[date, date],
    as_of: datetime,
    offices: dict[str, str],
) -> list[StandardFigures]:
    figures = []
    for version, first, last in _versions_in(config.policy.versions, period):
        for standard in version.standards:
            total, months = Tally(), [Tally() for _ in range(MONTHS)]
            by_office: dict[str, Tally] = defaultdict(Tally)
            for clock in clocks:
                if clock.standard != standard.id or clock.policy_version != version.version:
                    continue
                total.add(clock, as_of)
                months[clock.started_at.astimezone(ROME).month - 1].add(clock, as_of)
                by_office[clock.organization or UNASSIGNED].add(clock, as_of)
            figures.append(
                StandardFigures(
                    standard=standard.id,
                    name=standard.name,
                    limit=standard.limit.describe(),
                    version=version.version,
                    in_force_from=first,
                    in_force_to=last,
                    **_outcomes(total),
                    **_times(total),
                    months=[Month(month=i + 1, **_outcomes(t)) for i, t in enumerate(months)],
                    offices=[
                        OfficeLine(
                            organization=org,
                            label=offices.get(org, UNASSIGNED_LABEL),
                            **_outcomes(t),
                            **_times(t),
                        )
                        for org, t in sorted(by_office.items())
                    ],
                )
            )
    return figures


def _counts(values: Iterable[str], labels: dict[str, str]) -> list[Count]:
    """The most frequent first; ties by label."""
    counted = Counter(values)
    rows = [Count(key=k, label=labels.get(k, k), cases=n) for k, n in counted.items()]
    return sorted(rows, key=lambda c: (-c.cases, c.label))


def _volumes(
    cases: list[CaseRow], offices: dict[str, str], categories: Mapping[str, str]
) -> Volumes:
    months = [0] * MONTHS
    for case in cases:
        months[case.received_at.astimezone(ROME).month - 1] += 1
    office_labels = {**offices, UNASSIGNED: UNASSIGNED_LABEL}
    return Volumes(
        total=len(cases),
        months=months,
        by_channel=_counts((c.channel for c in cases), CHANNELS),
        by_kind=_counts((c.kind for c in cases), KINDS),
        by_category=_counts((c.category for c in cases), dict(categories)),
        by_office=_counts((c.organization or UNASSIGNED for c in cases), office_labels),
    )


def _satisfaction(key: str, label: str, values: list[int]) -> Satisfaction:
    counted = Counter(values)
    return Satisfaction(
        key=key,
        label=label,
        answers=len(values),
        mean=round(statistics.fmean(values), 2) if values else None,
        distribution=[counted.get(score, 0) for score in range(1, 6)],
    )


def _rated_by(
    ratings: list[Rating], key_of: Callable[[Rating], str], labels: dict[str, str]
) -> list[Satisfaction]:
    grouped: dict[str, list[int]] = defaultdict(list)
    for rating in ratings:
        grouped[key_of(rating)].append(rating.rating)
    labels = {**labels, UNASSIGNED: UNASSIGNED_LABEL}
    return [
        _satisfaction(key, labels.get(key, key), values) for key, values in sorted(grouped.items())
    ]


def _day(instant: datetime) -> date:
    return instant.astimezone(ROME).date()


def _anomalies(
    entries: list[RegisterEntry], offices: dict[str, str], standards: dict[str, str]
) -> list[AnomalyLine]:
    """Breaches grouped by standard, office and cause; other anomalies one by one."""
    groups: dict[tuple[str, str | None, str | None], list[RegisterEntry]] = defaultdict(list)
    lines = []
    for entry in entries:
        if entry.kind == "breach":
            groups[(entry.standard or "", entry.organization, entry.cause)].append(entry)
        else:
            lines.append(_line(entry.title, [entry], offices))
    for (standard, _, _), group in groups.items():
        lines.append(_line(standards.get(standard, standard), group, offices))
    return sorted(lines, key=lambda a: (a.first, a.kind, a.title, a.office or "", a.cause or ""))


def _line(title: str, group: list[RegisterEntry], offices: dict[str, str]) -> AnomalyLine:
    first = group[0]
    actions: dict[str, Action] = {}
    for entry in group:
        for action in entry.actions:
            actions[action.description] = Action(
                description=action.description,
                status=action.status,
                due=action.due,
                updated=_day(action.changed_at),
            )
    ends = [e.ended_at or e.started_at for e in group]
    return AnomalyLine(
        kind=first.kind,
        title=title,
        office=offices.get(first.organization, UNASSIGNED_LABEL) if first.organization else None,
        first=min(_day(e.started_at) for e in group),
        last=max(_day(e) for e in ends),
        occurrences=len(group),
        cause=first.cause,
        actions=sorted(actions.values(), key=lambda a: (a.updated, a.description)),
    )
