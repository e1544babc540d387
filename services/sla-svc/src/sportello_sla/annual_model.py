"""The yearly report on the Carta dei servizi, as data: every figure and text it shows.

One model for the draft and the published report: a publication freezes this model's JSON, and
its digest (sha256 of the canonical JSON) is what a reviewer saw and what was published. Nothing
in it identifies a citizen: counts, shares, times, office and service names, and what the URP
wrote about anomalies (checked for personal data when written).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

MONTHS = 12


class _Figures(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Outcomes(_Figures):
    cases: int = 0
    met: int = 0
    breached: int = 0
    open: int = 0
    compliance: float | None = None  # met over decided, in percent


class Month(Outcomes):
    month: int  # 1-12


class OfficeLine(Outcomes):
    organization: str
    label: str
    median_hours: float | None = None
    p90_hours: float | None = None


class StandardFigures(Outcomes):
    standard: str
    name: str
    limit: str
    version: int
    in_force_from: date  # within the year
    in_force_to: date
    median_hours: float | None = None
    p90_hours: float | None = None
    months: list[Month]
    offices: list[OfficeLine]


class Count(_Figures):
    key: str
    label: str
    cases: int


class Volumes(_Figures):
    total: int
    months: list[int]  # cases received in each month, January first
    by_channel: list[Count]
    by_kind: list[Count]
    by_category: list[Count]
    by_office: list[Count]


class Satisfaction(_Figures):
    key: str
    label: str
    answers: int
    mean: float | None
    distribution: list[int]  # answers that gave 1, 2, 3, 4, 5


class Action(_Figures):
    description: str
    status: str  # planned, in_progress, done
    due: date | None
    updated: date


class AnomalyLine(_Figures):
    """One recorded anomaly, or the breaches of one standard in one office with the same cause."""

    kind: str  # breach, interruption, other
    title: str
    office: str | None
    first: date
    last: date
    occurrences: int
    cause: str | None
    actions: list[Action]


class Sections(_Figures):
    """The short text of each section, generated from the figures (see narrative.py)."""

    summary: str
    standards: str
    volumes: str
    satisfaction: str
    anomalies: str


class AnnualReport(_Figures):
    tenant: str
    tenant_name: str
    carta: str | None
    year: int
    as_of: datetime
    standards: list[StandardFigures]
    volumes: Volumes
    satisfaction_overall: Satisfaction
    satisfaction_by_office: list[Satisfaction]
    satisfaction_by_service: list[Satisfaction]
    anomalies: list[AnomalyLine]
    texts: dict[str, Sections]  # by language: "it", "en"

    def canonical_json(self) -> str:
        return json.dumps(
            self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()


def total_outcomes(figures: Iterable[Outcomes]) -> Outcomes:
    """The sum of several lines' outcomes, the compliance recomputed from the sums."""
    lines = list(figures)
    met, breached = sum(f.met for f in lines), sum(f.breached for f in lines)
    decided = met + breached
    return Outcomes(
        cases=sum(f.cases for f in lines),
        met=met,
        breached=breached,
        open=sum(f.open for f in lines),
        compliance=round(100 * met / decided, 1) if decided else None,
    )
