"""The compliance report as JSON, CSV (one line per standard and organization) or HTML.

The HTML page draws one chart per standard: a stacked bar per month (met, breached, still open)
with its compliance, as inline SVG from a Jinja2 template, so it needs no script and prints well.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from ..reports import ComplianceReport, Tally

COLUMNS = (
    "standard",
    "organization",
    "cases",
    "met",
    "breached",
    "open",
    "compliance_pct",
    "median_hours_to_stop",
    "p90_hours_to_stop",
)
CHART_HEIGHT = 160
BAR_WIDTH = 28
BAR_GAP = 12

_templates = Environment(
    loader=PackageLoader("sportello_sla.adapters", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
)


def _tally(tally: Tally) -> dict[str, Any]:
    return {
        "cases": tally.cases,
        "met": tally.met,
        "breached": tally.breached,
        "open": tally.open,
        "compliance_pct": tally.compliance,
        "median_hours_to_stop": tally.median_hours,
        "p90_hours_to_stop": tally.p90_hours,
    }


def as_json(report: ComplianceReport, names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """`names`: each standard's name in the Carta (the line's `name`; its id without one)."""
    named = names or {}
    return {
        "tenant": report.tenant,
        "from": report.period_from.isoformat(),
        "to": report.period_to.isoformat(),
        "as_of": report.as_of.isoformat(),
        "standards": [
            {
                "standard": line.standard,
                "name": named.get(line.standard, line.standard),
                "organization": line.organization,
                **_tally(line.tally),
            }
            for line in report.lines
        ],
        "months": {
            standard: [{"month": month, **_tally(t)} for month, t in months.items()]
            for standard, months in report.months.items()
        },
        "satisfaction": [
            {
                "organization": s.organization,
                "answers": s.answers,
                "average": s.average,
                "distribution": {str(k): v for k, v in s.distribution.items()},
            }
            for s in report.satisfaction
        ],
    }


def as_csv(report: ComplianceReport) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for line in report.lines:
        writer.writerow(
            {"standard": line.standard, "organization": line.organization, **_tally(line.tally)}
        )
    return out.getvalue()


@dataclass(frozen=True)
class Bar:
    month: str
    x: int
    segments: list[tuple[str, int, int, int]]  # (css class, y, height, count)
    compliance: float | None


def _bars(months: dict[str, Tally]) -> list[Bar]:
    tallest = max((t.cases for t in months.values()), default=1) or 1
    bars = []
    for i, (month, tally) in enumerate(months.items()):
        y = CHART_HEIGHT
        segments = []
        for css, count in (("met", tally.met), ("breached", tally.breached), ("open", tally.open)):
            height = round(CHART_HEIGHT * count / tallest)
            y -= height
            segments.append((css, y, height, count))
        bars.append(Bar(month, i * (BAR_WIDTH + BAR_GAP), segments, tally.compliance))
    return bars


def as_html(report: ComplianceReport, standard_names: dict[str, str]) -> str:
    charts = {
        standard: (_bars(months), max(len(months), 1) * (BAR_WIDTH + BAR_GAP))
        for standard, months in report.months.items()
    }
    return _templates.get_template("compliance.html.j2").render(
        report=report,
        lines=[(line, _tally(line.tally)) for line in report.lines],
        charts=charts,
        names=standard_names,
        chart_height=CHART_HEIGHT,
        bar_width=BAR_WIDTH,
    )
