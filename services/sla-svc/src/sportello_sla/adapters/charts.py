"""The yearly report's charts: matplotlib figures saved as SVG, the same bytes for the same figures.

No pyplot (no global state, safe off the main thread); the SVG keeps its text as text (the PDF's
text can be searched and extracted), has no date and a fixed id salt, so a published report
renders exactly as it was reviewed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..annual_model import Month

MONTH_TICKS = {
    "it": ("gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
LEGEND = {
    "it": ("rispettati", "non rispettati", "in corso"),
    "en": ("met", "breached", "open"),
}
MET, BREACHED, OPEN, BARS, INK = "#2e7d32", "#c62828", "#9e9e9e", "#0066cc", "#1a1a1a"
STYLE: dict[Any, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "sportello-annual-report",
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#666666",
    "axes.labelcolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
}


def _svg(figure: Figure) -> str:
    out = io.StringIO()
    with mpl.rc_context(STYLE):
        figure.savefig(out, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = out.getvalue()
    return text[text.index("<svg") :]  # the XML declaration and doctype do not go inline


def _figure(width: float, height: float) -> Figure:
    with mpl.rc_context(STYLE):
        return Figure(figsize=(width, height))


def monthly_outcomes(months: Sequence[Month], lang: str) -> str:
    """Stacked bars per month (met, breached, still open) with the month's compliance above."""
    with mpl.rc_context(STYLE):
        figure = _figure(6.4, 1.9)
        axes = figure.add_subplot()
        ticks = list(MONTH_TICKS[lang])
        met = [m.met for m in months]
        breached = [m.breached for m in months]
        still_open = [m.open for m in months]
        labels = LEGEND[lang]
        axes.bar(ticks, met, color=MET, label=labels[0], width=0.7)
        axes.bar(ticks, breached, bottom=met, color=BREACHED, label=labels[1], width=0.7)
        bottom = [a + b for a, b in zip(met, breached, strict=True)]
        axes.bar(ticks, still_open, bottom=bottom, color=OPEN, label=labels[2], width=0.7)
        tallest = max((m.cases for m in months), default=0) or 1
        for i, month in enumerate(months):
            if month.compliance is not None:
                share = f"{month.compliance:.0f}%"
                axes.text(i, month.cases + tallest * 0.03, share, ha="center", fontsize=7)
        axes.set_ylim(0, tallest * 1.18)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=7)
        return _svg(figure)


def monthly_volumes(months: Sequence[int], lang: str) -> str:
    with mpl.rc_context(STYLE):
        figure = _figure(6.4, 1.7)
        axes = figure.add_subplot()
        ticks = list(MONTH_TICKS[lang])
        bars = axes.bar(ticks, list(months), color=BARS, width=0.7)
        axes.bar_label(bars, fontsize=7, padding=1)
        axes.set_ylim(0, (max(months, default=0) or 1) * 1.18)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        return _svg(figure)


def rating_distribution(distribution: Sequence[int], lang: str) -> str:
    """Answers per rating, 1 to 5, as horizontal bars."""
    with mpl.rc_context(STYLE):
        figure = _figure(4.2, 1.6)
        axes = figure.add_subplot()
        scores = ["1", "2", "3", "4", "5"]
        colours = ["#c62828", "#ef6c00", "#9e9e9e", "#7cb342", "#2e7d32"]
        bars = axes.barh(scores, list(distribution), color=colours, height=0.65)
        axes.bar_label(bars, fontsize=7, padding=2)
        axes.set_xlim(0, (max(distribution, default=0) or 1) * 1.2)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylabel("voto" if lang == "it" else "rating")
        return _svg(figure)
