"""Problem details (RFC 9457) in the caller's language: Italian unless `Accept-Language` prefers
English. Every service renders its 4xx answers through here, so they read alike.

An error that can say itself in a language implements `Localized` (`localized(language)`, and
optionally `problem_extra()` for machine-readable fields such as the steps possible now).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from .worded import Worded

PROBLEM_JSON = "application/problem+json"
LANGUAGES = ("it", "en")
DEFAULT_LANGUAGE = "it"

TITLES: dict[int, tuple[str, str]] = {
    400: ("Richiesta non valida", "Bad request"),
    401: ("Autenticazione necessaria", "Authentication required"),
    403: ("Accesso non consentito", "Forbidden"),
    404: ("Non trovato", "Not found"),
    405: ("Metodo non consentito", "Method not allowed"),
    409: ("Operazione non possibile in questo stato", "Not possible in the current state"),
    410: ("Non più disponibile", "Gone"),
    413: ("Richiesta troppo grande", "Request body too large"),
    415: ("Formato non supportato", "Unsupported media type"),
    422: ("Dati non validi", "Invalid request"),
    429: ("Troppe richieste", "Too many requests"),
    503: ("Servizio momentaneamente non disponibile", "Service unavailable"),
}


@runtime_checkable
class Localized(Protocol):
    def localized(self, language: str) -> str: ...


def invalid_input(where: str, field: str, *, it: str, en: str) -> RequestValidationError:
    """A 422 naming the field (`where`: "query", "body", "path"), like FastAPI's own, worded in
    each language."""
    error = Worded(en, it=it)
    return RequestValidationError(
        [{"loc": (where, field), "msg": en, "type": "value_error", "ctx": {"error": error}}]
    )


class Refusal(HTTPException):
    """An HTTP refusal with its text in each language (`detail` stays the English one)."""

    def __init__(self, status: int, *, it: str, en: str, **extra: Any) -> None:
        super().__init__(status, en)
        self.texts = {"it": it, "en": en}
        self.extra = extra

    def localized(self, language: str) -> str:
        return self.texts.get(language, self.texts[DEFAULT_LANGUAGE])

    def problem_extra(self) -> dict[str, Any]:
        return dict(self.extra)


def language_of(accept_language: str | None) -> str:
    """The first language of ours the caller accepts, by its q-values; Italian otherwise."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, index, primary))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


def title(status: int, language: str) -> str:
    it, en = TITLES.get(status, ("Errore", "Error"))
    return en if language == "en" else it


def problem_body(status: int, language: str, detail: str, /, **extra: Any) -> dict[str, Any]:
    return {
        "type": "about:blank",
        "title": title(status, language),
        "status": status,
        "detail": detail,
        **extra,
    }


def problem_bytes(status: int, language: str, detail: str) -> bytes:
    return json.dumps(problem_body(status, language, detail)).encode()


def say(language: str, it: str, en: str) -> str:
    return en if language == "en" else it


def detail_of(exc: Exception, language: str) -> tuple[str, dict[str, Any]]:
    """The error's text in `language` and its machine-readable extras."""
    text = exc.localized(language) if isinstance(exc, Localized) else _plain(exc)
    extra = getattr(exc, "problem_extra", None)
    return text, (extra() if callable(extra) else {})


def _plain(exc: Exception) -> str:
    if isinstance(exc, StarletteHTTPException):
        return str(exc.detail)
    return str(exc)


# --- validation errors (422) ----------------------------------------------------------------------

_MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("campo obbligatorio", "field required"),
    "extra_forbidden": ("parametro non previsto", "unexpected field or parameter"),
    "string_too_short": (
        "troppo corto (almeno {min_length} caratteri)",
        "too short (at least {min_length} characters)",
    ),
    "string_too_long": (
        "troppo lungo (al massimo {max_length} caratteri)",
        "too long (at most {max_length} characters)",
    ),
    "string_pattern_mismatch": ("formato non valido", "invalid format"),
    "string_type": ("deve essere un testo", "must be a string"),
    "enum": ("valore non ammesso: uno tra {expected}", "not allowed: one of {expected}"),
    "literal_error": ("valore non ammesso: uno tra {expected}", "not allowed: one of {expected}"),
    "int_parsing": ("deve essere un numero intero", "must be a whole number"),
    "int_type": ("deve essere un numero intero", "must be a whole number"),
    "float_parsing": ("deve essere un numero", "must be a number"),
    "bool_parsing": ("deve essere true o false", "must be true or false"),
    "uuid_parsing": ("identificativo non valido", "not a valid identifier"),
    "datetime_parsing": (
        "data e ora non valide (ISO 8601, es. 2026-03-02T09:00:00+01:00)",
        "invalid date and time (ISO 8601, e.g. 2026-03-02T09:00:00+01:00)",
    ),
    "datetime_from_date_parsing": (
        "data e ora non valide (ISO 8601, es. 2026-03-02T09:00:00+01:00)",
        "invalid date and time (ISO 8601, e.g. 2026-03-02T09:00:00+01:00)",
    ),
    "date_parsing": ("data non valida (AAAA-MM-GG)", "invalid date (YYYY-MM-DD)"),
    "timezone_aware": ("indichi il fuso orario", "give the time zone"),
    "greater_than_equal": ("deve essere almeno {ge}", "must be at least {ge}"),
    "less_than_equal": ("deve essere al massimo {le}", "must be at most {le}"),
    "model_attributes_type": ("deve essere un oggetto JSON", "must be a JSON object"),
    "dict_type": ("deve essere un oggetto JSON", "must be a JSON object"),
    "list_type": ("deve essere una lista", "must be a list"),
}


def validation_errors(
    errors: Sequence[Mapping[str, Any]], body: Any, language: str
) -> list[dict[str, str]]:
    """FastAPI's errors as `{field, message}` a person can act on, in `language`."""
    return [_validation_error(error, body, language) for error in errors]


def _validation_error(error: Mapping[str, Any], body: Any, language: str) -> dict[str, str]:
    kind = str(error.get("type", ""))
    ctx = dict(error.get("ctx") or {})
    if kind == "json_invalid":
        return {"field": "body", "message": _json_position(error, body, ctx, language)}
    field = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
    texts = _MESSAGES.get(kind)
    if texts is None and isinstance(ctx.get("error"), Localized):
        message = ctx["error"].localized(language)  # a validator's Worded error
    elif texts is None:
        message = str(error.get("msg", "")).removeprefix("Value error, ")
    else:
        template = texts[1] if language == "en" else texts[0]
        try:
            message = template.format(**ctx)
        except (KeyError, IndexError):
            message = template.split(" (")[0].split(":")[0]
    return {"field": field or "body", "message": message}


def _json_position(
    error: Mapping[str, Any], body: Any, ctx: Mapping[str, Any], language: str
) -> str:
    loc = tuple(error.get("loc", ()))
    position = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else 0
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    what = _json_reason(str(ctx.get("error", "")), language)
    return say(
        language,
        f"JSON non valido alla riga {line}, colonna {column}: {what}",
        f"invalid JSON at line {line}, column {column}: {what}",
    )


_JSON_REASONS: dict[str, tuple[str, str]] = {
    "Expecting ',' delimiter": ("manca una ','", "expected ','"),
    "Expecting ':' delimiter": ("manca un ':'", "expected ':'"),
    "Expecting value": ("manca un valore", "expected a value"),
    "Expecting property name enclosed in double quotes": (
        "il nome del campo va tra virgolette doppie",
        "expected a field name in double quotes",
    ),
    "Unterminated string starting at": ("testo tra virgolette non chiuso", "unterminated string"),
    "Extra data": ("contenuto dopo la fine del JSON", "extra data after the JSON value"),
    "Invalid control character at": (
        "carattere di controllo non ammesso",
        "invalid control character",
    ),
}


def _json_reason(reason: str, language: str) -> str:
    texts = _JSON_REASONS.get(reason)
    if texts is None:
        return reason
    return texts[1] if language == "en" else texts[0]
