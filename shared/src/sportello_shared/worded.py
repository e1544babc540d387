"""An error worded in each language the services answer in (Italian, English). Pure: domain
modules may raise it; `problems.py` says it in the caller's language."""

from __future__ import annotations

DEFAULT_LANGUAGE = "it"


class Worded(ValueError):
    """A ValueError worded in each language (`str()` is the English). Raised by a pydantic
    validator it reaches the 422 in the caller's language (pydantic keeps it in the error's
    `ctx`); a domain error may subclass it to be said in both languages wherever it lands."""

    def __init__(self, en: str, *, it: str) -> None:
        super().__init__(en)
        self.texts = {"it": it, "en": en}

    def localized(self, language: str) -> str:
        return self.texts.get(language, self.texts[DEFAULT_LANGUAGE])
