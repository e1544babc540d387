"""The short text of each section of the yearly report, written from its figures (it, en).

Sentences are chosen by the figures (none breached, none decided, no answers...) so the text
never says something the tables do not show. Italian is the report's language; English is there
for whoever asks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from .annual_model import AnnualReport, Count, Month, Sections, total_outcomes

MONTHS_IT = (
    *("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno"),
    *("luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"),
)
MONTHS_EN = (
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
)
NONE = "\u2013"  # an en dash where there is no figure


def number(value: float, lang: str, decimals: int = 0) -> str:
    """1.234,5 in Italian, 1,234.5 in English."""
    text = f"{value:,.{decimals}f}"
    if lang == "it":
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    return text


def percent(value: float | None, lang: str) -> str:
    return NONE if value is None else f"{number(value, lang, 1)}%"


def duration(hours: float | None, lang: str) -> str:
    """Hours up to two days, days beyond."""
    if hours is None:
        return NONE
    if hours < 48:
        return f"{number(hours, lang, 1)} " + ("ore" if lang == "it" else "hours")
    return f"{number(hours / 24, lang, 1)} " + ("giorni" if lang == "it" else "days")


def sections(report: AnnualReport, lang: str) -> Sections:
    writer = _IT if lang == "it" else _EN
    return Sections(**{name: write(report) for name, write in writer.items()})


# --- Italian --------------------------------------------------------------------------------


def _summary_it(r: AnnualReport) -> str:
    total = total_outcomes(r.standards)
    received = number(r.volumes.total, "it")
    text = f"Nel {r.year} {_the_it(r.tenant_name)} ha ricevuto {received} richieste"
    text += f" e ha misurato {len(r.standards)} standard"
    text += f" della {r.carta}." if r.carta else " di qualità."
    decided = total.met + total.breached
    if decided:
        text += (
            f" Su {number(decided, 'it')} termini conclusi o scaduti, "
            f"{number(total.met, 'it')} sono stati rispettati ({percent(total.compliance, 'it')})."
        )
    anomalies = sum(a.occurrences for a in r.anomalies)
    text += f" Sono state registrate {number(anomalies, 'it')} anomalie." if anomalies else ""
    return text


def _standards_it(r: AnnualReport) -> str:
    parts = []
    for s in r.standards:
        decided = s.met + s.breached
        if not s.cases:
            parts.append(f"«{s.name}»: nessuna pratica nel periodo.")
            continue
        text = f"«{s.name}»: {number(s.cases, 'it')} pratiche"
        if decided:
            text += (
                f", termine rispettato in {number(s.met, 'it')} casi su {number(decided, 'it')}"
                f" ({percent(s.compliance, 'it')}); tempo mediano {duration(s.median_hours, 'it')}"
                f", 9 casi su 10 entro {duration(s.p90_hours, 'it')}"
            )
        worst = _worst_month(s.months)
        if worst is not None and worst[1] < 100:
            month, share = MONTHS_IT[worst[0] - 1], percent(worst[1], "it")
            text += f"; il mese meno puntuale è stato {month} ({share})"
        parts.append(text + ".")
    return " ".join(parts) or "Nessuno standard in vigore nell'anno."


def _volumes_it(r: AnnualReport) -> str:
    v = r.volumes
    if not v.total:
        return "Nessuna richiesta ricevuta nell'anno."
    text = f"Le richieste ricevute sono state {number(v.total, 'it')}."
    text += _top(v.by_channel, v.total, "it", " Il canale più usato è stato «{}» ({})")
    text += _top(v.by_category, v.total, "it", "; il servizio più richiesto «{}» ({})")
    busiest = max(range(12), key=lambda m: (v.months[m], -m))
    return text + f"; il mese con più richieste è stato {MONTHS_IT[busiest]}."


def _satisfaction_it(r: AnnualReport) -> str:
    s = r.satisfaction_overall
    if not s.answers:
        return "Nessun cittadino ha risposto al questionario di soddisfazione nell'anno."
    good = s.distribution[3] + s.distribution[4]
    return (
        f"Hanno risposto al questionario {number(s.answers, 'it')} cittadini, con un voto medio di "
        f"{number(s.mean or 0, 'it', 2)} su 5; il {percent(100 * good / s.answers, 'it')} "
        "ha dato 4 o 5."
    )


def _anomalies_it(r: AnnualReport) -> str:
    if not r.anomalies:
        return "Nessuna anomalia riscontrata nell'erogazione dei servizi."
    breaches, others, explained, actions, done = _tally(r)
    text = (
        f"Anomalie riscontrate: {number(breaches, 'it')} mancati rispetti degli standard e "
        f"{number(others, 'it')} altri disservizi. La causa è stata individuata per "
        f"{number(explained, 'it')} di esse."
    )
    if actions:
        text += (
            f" Azioni correttive: {number(actions, 'it')}, di cui {number(done, 'it')} "
            f"concluse e {number(actions - done, 'it')} in corso o programmate."
        )
    return text


# --- English --------------------------------------------------------------------------------


def _summary_en(r: AnnualReport) -> str:
    total = total_outcomes(r.standards)
    text = f"In {r.year} the {r.tenant_name} received {number(r.volumes.total, 'en')} requests"
    text += f" and measured {len(r.standards)} standards"
    text += f" of its {r.carta}." if r.carta else " of quality."
    decided = total.met + total.breached
    if decided:
        text += (
            f" Of the {number(decided, 'en')} terms that ended or fell due, "
            f"{number(total.met, 'en')} were met ({percent(total.compliance, 'en')})."
        )
    anomalies = sum(a.occurrences for a in r.anomalies)
    text += f" {number(anomalies, 'en')} anomalies were recorded." if anomalies else ""
    return text


def _standards_en(r: AnnualReport) -> str:
    parts = []
    for s in r.standards:
        decided = s.met + s.breached
        if not s.cases:
            parts.append(f"“{s.name}”: no cases in the period.")
            continue
        text = f"“{s.name}”: {number(s.cases, 'en')} cases"
        if decided:
            text += (
                f", term met in {number(s.met, 'en')} of {number(decided, 'en')}"
                f" ({percent(s.compliance, 'en')}); median time {duration(s.median_hours, 'en')}"
                f", 9 in 10 within {duration(s.p90_hours, 'en')}"
            )
        worst = _worst_month(s.months)
        if worst is not None and worst[1] < 100:
            month, share = MONTHS_EN[worst[0] - 1], percent(worst[1], "en")
            text += f"; the least punctual month was {month} ({share})"
        parts.append(text + ".")
    return " ".join(parts) or "No standard was in force in the year."


def _volumes_en(r: AnnualReport) -> str:
    v = r.volumes
    if not v.total:
        return "No request was received in the year."
    text = f"{number(v.total, 'en')} requests were received."
    text += _top(v.by_channel, v.total, "en", " The most used channel was “{}” ({})")
    text += _top(v.by_category, v.total, "en", "; the most requested service “{}” ({})")
    busiest = max(range(12), key=lambda m: (v.months[m], -m))
    return text + f"; the busiest month was {MONTHS_EN[busiest]}."


def _satisfaction_en(r: AnnualReport) -> str:
    s = r.satisfaction_overall
    if not s.answers:
        return "No citizen answered the satisfaction survey in the year."
    good = s.distribution[3] + s.distribution[4]
    return (
        f"{number(s.answers, 'en')} citizens answered the survey, with an average rating of "
        f"{number(s.mean or 0, 'en', 2)} out of 5; {percent(100 * good / s.answers, 'en')} "
        "gave 4 or 5."
    )


def _anomalies_en(r: AnnualReport) -> str:
    if not r.anomalies:
        return "No anomaly was found in delivering the services."
    breaches, others, explained, actions, done = _tally(r)
    text = (
        f"Anomalies found: {number(breaches, 'en')} standards not met and "
        f"{number(others, 'en')} other disruptions. The cause was found for "
        f"{number(explained, 'en')} of them."
    )
    if actions:
        text += (
            f" Corrective actions: {number(actions, 'en')}, {number(done, 'en')} done and "
            f"{number(actions - done, 'en')} under way or planned."
        )
    return text


# --- shared ---------------------------------------------------------------------------------


class _Tally(NamedTuple):
    """The anomaly section's figures, the same whatever the language."""

    breaches: int  # occurrences of standards not met
    others: int  # occurrences of other disruptions
    explained: int  # occurrences whose cause is recorded
    actions: int  # corrective actions
    done: int  # of which done


def _tally(r: AnnualReport) -> _Tally:
    actions = [x for a in r.anomalies for x in a.actions]
    return _Tally(
        sum(a.occurrences for a in r.anomalies if a.kind == "breach"),
        sum(a.occurrences for a in r.anomalies if a.kind != "breach"),
        sum(a.occurrences for a in r.anomalies if a.cause),
        len(actions),
        sum(1 for x in actions if x.status == "done"),
    )


def _the_it(name: str) -> str:
    """ "il Comune di ...", "la Città di ..."."""
    return ("la " if name.split()[0].lower() in ("città", "citta'") else "il ") + name


def _worst_month(months: list[Month]) -> tuple[int, float] | None:
    decided = [(m.month, m.compliance) for m in months if m.compliance is not None]
    return min(decided, key=lambda mc: (mc[1], mc[0])) if decided else None


def _top(counts: list[Count], total: int, lang: str, template: str) -> str:
    if not counts:
        return ""
    first = counts[0]
    return template.format(first.label, percent(100 * first.cases / total, lang))


_IT: dict[str, Callable[[AnnualReport], str]] = {
    "summary": _summary_it,
    "standards": _standards_it,
    "volumes": _volumes_it,
    "satisfaction": _satisfaction_it,
    "anomalies": _anomalies_it,
}
_EN: dict[str, Callable[[AnnualReport], str]] = {
    "summary": _summary_en,
    "standards": _standards_en,
    "volumes": _volumes_en,
    "satisfaction": _satisfaction_en,
    "anomalies": _anomalies_en,
}
