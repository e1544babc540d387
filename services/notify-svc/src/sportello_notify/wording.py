"""The words messages are made of: each kind of case its own noun, the office's hours in prose.

Pure. Italian nouns carry their gender, so a template agrees its participles with `ending`
("la sua segnalazione è stata ricevuta", "il suo reclamo è stato ricevuto") and never has to put
an article or a preposition in front of an organization's name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sportello_shared.tenants import OpeningSpan


@dataclass(frozen=True)
class KindWords:
    your: str  # "la sua segnalazione", "your report"
    noun: str  # "segnalazione", "report"
    ending: str  # Italian participle ending: "a" (feminine) or "o" (masculine); "" in English


KIND_WORDS: dict[str, dict[str, KindWords]] = {
    "it": {
        "segnalazione": KindWords("la sua segnalazione", "segnalazione", "a"),
        "reclamo": KindWords("il suo reclamo", "reclamo", "o"),
        "suggerimento": KindWords("il suo suggerimento", "suggerimento", "o"),
        "richiesta_informazioni": KindWords(
            "la sua richiesta di informazioni", "richiesta di informazioni", "a"
        ),
        "richiesta_intervento": KindWords(
            "la sua richiesta di intervento", "richiesta di intervento", "a"
        ),
    },
    "en": {
        "segnalazione": KindWords("your report", "report", ""),
        "reclamo": KindWords("your complaint", "complaint", ""),
        "suggerimento": KindWords("your suggestion", "suggestion", ""),
        "richiesta_informazioni": KindWords(
            "your request for information", "request for information", ""
        ),
        "richiesta_intervento": KindWords("your request for action", "request for action", ""),
    },
}
KINDS = tuple(KIND_WORDS["it"])
DEFAULT_KIND = "segnalazione"

# What each message is called where an office reads about it (never the template's id).
MESSAGE_NAMES: dict[str, str] = {
    "received": "conferma di ricezione",
    "taken_in_charge": "avviso di presa in carico",
    "closed": "comunicazione di chiusura con l'esito",
    "citizen_updated": "aggiornamento al cittadino",
    "merged": "avviso di unione alla pratica originale",
    "duplicate_merged": "avviso di segnalazione doppia unita",
    "waiting_for_citizen": "richiesta di integrazione al cittadino",
    "waiting_reminder": "promemoria della richiesta di integrazione",
    "under_review": "avviso di verifica da parte dell'URP",
    "assigned": "avviso di nuova pratica",
    "sla_warning": "avviso di scadenza vicina",
    "sla_breached": "avviso di scadenza superata",
    "delivery_failed": "avviso di mancato recapito",
    "routing_failed": "avviso di pratica senza ufficio",
    "on_call_alert": "avviso urgente al reperibile",
    "protocolled": "comunicazione del numero di protocollo",
    "inspection_scheduled": "avviso della data del sopralluogo",
    "attestation_issued": "avviso di attestazione pronta",
}

CHANNEL_NAMES: dict[str, str] = {
    "email": "posta elettronica",
    "sms": "SMS",
    "webhook": "collegamento con il sistema dell'ufficio",
    "letter": "lettera",
}


def kind_words(kind: str, language: str) -> KindWords:
    words = KIND_WORDS.get(language, KIND_WORDS["it"])
    return words.get(kind, words[DEFAULT_KIND])


def kind_context(kind: str, language: str) -> dict[str, str]:
    words = kind_words(kind, language)
    office_words = kind_words(kind, "it")
    return {
        "your_case": words.your,
        "case_noun": words.noun,
        "ending": words.ending,
        "kind_name": office_words.noun,
    }


def failure_cause(reason: str) -> str:
    """What an office can do something about; the provider's own words stay in the logs."""
    text = reason.lower()
    if "erased" in text:
        return "i dati di contatto del cittadino sono stati cancellati su sua richiesta"
    if ("no " in text and "configured" in text) or "rendering failed" in text:
        return "il canale di invio non è disponibile (problema tecnico, già segnalato ai tecnici)"
    if "recipient refused" in text or text.startswith("5") or "unsendable" in text:
        return "il recapito del cittadino è stato rifiutato (indirizzo o numero inesistente)"
    if "gave up" in text:
        return "il servizio di invio non ha accettato il messaggio dopo ripetuti tentativi"
    return "il servizio di invio ha rifiutato il messaggio"


DAYS = {
    "it": ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
ALWAYS = {"it": "tutti i giorni, 24 ore su 24", "en": "every day, 24 hours a day"}
AND = {"it": " e ", "en": " and "}


def opening_hours(spans: Iterable[OpeningSpan], language: str) -> str:
    """ "dal lunedì al venerdì 9:00-13:15 e 14:15-17:00; sabato 9:00-11:30"."""
    by_day: dict[int, list[str]] = {}
    for span in sorted(spans, key=lambda s: (s.weekday, s.opens)):
        by_day.setdefault(span.weekday, []).append(f"{_hm(span.opens)}-{_hm(span.closes)}")
    if not by_day:
        return ""
    if len(by_day) == 7 and all(v == ["0:00-23:59"] for v in by_day.values()):
        return ALWAYS.get(language, ALWAYS["it"])
    days = DAYS.get(language, DAYS["it"])
    joiner = AND.get(language, AND["it"])
    return "; ".join(
        f"{_day_range(days, first, last, language)} {joiner.join(times)}"
        for first, times, last in _runs(by_day)
    )


def _runs(by_day: dict[int, list[str]]) -> list[tuple[int, tuple[str, ...], int]]:
    """Consecutive days with the same hours: (first day, hours, last day)."""
    runs: list[tuple[int, tuple[str, ...], int]] = []
    for day in sorted(by_day):
        times = tuple(by_day[day])
        if runs and runs[-1][1] == times and runs[-1][2] == day - 1:
            runs[-1] = (runs[-1][0], times, day)
        else:
            runs.append((day, times, day))
    return runs


def _day_range(days: tuple[str, ...], first: int, last: int, language: str) -> str:
    if first == last:
        return days[first]
    if last == first + 1:
        return f"{days[first]}{AND.get(language, AND['it'])}{days[last]}"
    if language == "en":
        return f"{days[first]} to {days[last]}"
    return f"dal {days[first]} al {days[last]}"


def _hm(at: object) -> str:
    text = str(at)[:5]
    return text[1:] if text.startswith("0") else text
