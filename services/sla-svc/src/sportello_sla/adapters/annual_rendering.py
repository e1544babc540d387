"""The yearly report as HTML (Jinja2), PDF (WeasyPrint, A4) and CSV, from its figures only.

What renders a draft renders the published report: the same model gives the same document. The
PDF carries the Comune's name in every page's header and the page number in the footer.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from ..annual_model import AnnualReport, total_outcomes
from ..calendars import ROME
from ..narrative import MONTHS_EN, MONTHS_IT, duration, number, percent
from .annual_labels import LABELS

_templates = Environment(
    loader=PackageLoader("sportello_sla.adapters", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Publication:
    """How the document presents itself: a draft under review, or published (when, digest)."""

    published_at: datetime | None = None


def as_html(report: AnnualReport, lang: str = "it", state: Publication | None = None) -> str:
    state = state or Publication()
    labels = LABELS[lang]
    months = MONTHS_IT if lang == "it" else MONTHS_EN
    return _templates.get_template("annual.html.j2").render(
        r=report,
        t=report.texts[lang],
        L=labels,
        lang=lang,
        months=months,
        total=total_outcomes(report.standards),
        charts=_charts(report, lang),
        published_at=_local(state.published_at) if state.published_at else None,
        as_of=_local(report.as_of),
        num=lambda v, d=0: number(v, lang, d) if v is not None else "\u2013",
        pct=lambda v: percent(v, lang),
        dur=lambda h: duration(h, lang),
        status=lambda s: labels["status_" + s],
        kind=lambda k: labels["kind_" + k],
    )


def as_pdf(report: AnnualReport, lang: str = "it", state: Publication | None = None) -> bytes:
    from weasyprint import HTML  # imported on demand: it loads Pango at import time

    html = as_html(report, lang, state)
    document: bytes = HTML(string=html, base_url=".").write_pdf(
        metadata={"title": LABELS[lang]["title"] + f" {report.year} - {report.tenant_name}"}
    )
    return document


def _local(instant: datetime) -> datetime:
    return instant.astimezone(ROME)


def _charts(report: AnnualReport, lang: str) -> dict[str, Markup]:
    # matplotlib takes seconds to import: only the yearly report pays for it, not every start
    from . import charts

    found = {
        f"{s.standard}/{s.version}": Markup(charts.monthly_outcomes(s.months, lang))
        for s in report.standards
    }
    found["volumes"] = Markup(charts.monthly_volumes(report.volumes.months, lang))
    distribution = report.satisfaction_overall.distribution
    found["ratings"] = Markup(charts.rating_distribution(distribution, lang))
    return found


CSV_COLUMNS = ("section", "subject", "breakdown", "key", "label", "measure", "value")


def as_csv(report: AnnualReport) -> str:
    """One figure per line (section, what, breakdown, key, label, measure, value): the whole
    report in a form a spreadsheet filters and pivots."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in _csv_rows(report):
        writer.writerow(row)
    return out.getvalue()


def _csv_rows(r: AnnualReport) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    outcome = ("cases", "met", "breached", "open", "compliance")
    for s in r.standards:
        subject = f"{s.standard} v{s.version}"
        for measure in (*outcome, "median_hours", "p90_hours"):
            rows.append(
                ("standards", subject, "year", r.year, s.name, measure, getattr(s, measure))
            )
        for m in s.months:
            for measure in outcome:
                month = f"{r.year}-{m.month:02d}"
                rows.append(
                    ("standards", subject, "month", month, "", measure, getattr(m, measure))
                )
        for o in s.offices:
            for measure in (*outcome, "median_hours", "p90_hours"):
                value = getattr(o, measure)
                rows.append(
                    ("standards", subject, "office", o.organization, o.label, measure, value)
                )
    v = r.volumes
    rows.append(("volumes", "cases", "year", r.year, "", "cases", v.total))
    for i, count in enumerate(v.months, start=1):
        rows.append(("volumes", "cases", "month", f"{r.year}-{i:02d}", "", "cases", count))
    for breakdown, counts in (
        ("channel", v.by_channel),
        ("kind", v.by_kind),
        ("category", v.by_category),
        ("office", v.by_office),
    ):
        for c in counts:
            rows.append(("volumes", "cases", breakdown, c.key, c.label, "cases", c.cases))
    for breakdown, lines in (
        ("all", [r.satisfaction_overall]),
        ("office", r.satisfaction_by_office),
        ("service", r.satisfaction_by_service),
    ):
        for s2 in lines:
            base = ("satisfaction", "ratings", breakdown, s2.key, s2.label)
            rows.append((*base, "answers", s2.answers))
            rows.append((*base, "mean", s2.mean))
            rows.extend((*base, f"rating_{i}", n) for i, n in enumerate(s2.distribution, 1))
    for a in r.anomalies:
        key = f"{a.first}/{a.last}"
        base = ("anomalies", a.kind, a.office or "", key, a.title)
        rows.append((*base, "occurrences", a.occurrences))
        rows.append((*base, "cause", a.cause or ""))
        for action in a.actions:
            rows.append((*base, f"action:{action.status}", action.description))
    return rows
