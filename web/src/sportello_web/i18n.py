"""Italian by default, English selectable: a plain message catalogue, a cookie for the choice."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

LANGUAGES = ("it", "en")
DEFAULT_LANGUAGE = "it"
COOKIE = "lang"

WEB_MESSAGES: dict[str, dict[str, str]] = {
    "it": {
        "skip_to_content": "Vai al contenuto principale",
        "language": "Lingua",
        "language.it": "Italiano",
        "language.en": "English",
        "error.title": "Qualcosa non ha funzionato",
        "error.400": "La richiesta non è valida.",
        "error.401": "Occorre accedere.",
        "error.403": "Non hai accesso a questa pagina.",
        "error.404": "La pagina non esiste.",
        "error.405": "Operazione non consentita.",
        "error.409": "L'operazione non è possibile nello stato attuale.",
        "error.422": "I dati inviati non sono validi.",
        "error.503": "Il servizio non è disponibile in questo momento: riprova tra poco.",
        "error.csrf": "Il modulo è scaduto o non proviene da questa pagina: ricaricala e riprova.",
        "error.back": "Torna alla pagina iniziale",
        "footer.accessibility": "Dichiarazione di accessibilità",
        "footer.privacy": "Informativa privacy",
    },
    "en": {
        "skip_to_content": "Skip to main content",
        "language": "Language",
        "language.it": "Italiano",
        "language.en": "English",
        "error.title": "Something went wrong",
        "error.400": "The request is not valid.",
        "error.401": "You need to sign in.",
        "error.403": "You do not have access to this page.",
        "error.404": "This page does not exist.",
        "error.405": "This operation is not allowed.",
        "error.409": "The operation is not possible in the current state.",
        "error.422": "The data sent is not valid.",
        "error.503": "The service is unavailable right now: try again shortly.",
        "error.csrf": "The form has expired or did not come from this page: reload it and retry.",
        "error.back": "Back to the home page",
        "footer.accessibility": "Accessibility statement",
        "footer.privacy": "Privacy notice",
    },
}


class Catalogue:
    """Messages per language; an application adds its own to the web layer's."""

    def __init__(self, *extra: Mapping[str, Mapping[str, str]]) -> None:
        self.messages: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
        for source in (WEB_MESSAGES, *extra):
            for lang, messages in source.items():
                self.messages.setdefault(lang, {}).update(messages)

    def get(self, lang: str, key: str, **values: object) -> str:
        """The message in `lang`, else Italian, else the key itself (visible, never a crash)."""
        text = self.messages.get(lang, {}).get(key) or self.messages[DEFAULT_LANGUAGE].get(key, key)
        return text.format(**values) if values else text


def language_of(request: Request) -> str:
    chosen = request.cookies.get(COOKIE)
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def safe_next(target: str | None) -> str:
    """Only a path of this site (never another host): no open redirect."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def language_router(secure_cookies: bool) -> APIRouter:
    router = APIRouter()

    @router.get("/lingua", include_in_schema=False)
    def choose_language(to: str = DEFAULT_LANGUAGE, next: str = "/") -> RedirectResponse:
        response = RedirectResponse(safe_next(next), status_code=303)
        if to in LANGUAGES:
            response.set_cookie(
                COOKIE,
                to,
                max_age=365 * 24 * 3600,
                httponly=True,
                samesite="lax",
                secure=secure_cookies,
            )
        return response

    return router
