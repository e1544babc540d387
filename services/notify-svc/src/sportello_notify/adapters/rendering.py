"""Text from Jinja2 templates: one file per message, language and kind of text.

`<template>.<lang>.txt` is a mail (also printed as a letter, posted as a webhook): its first line
is `Subject: ...` and the rest the plain-text body. `<template>.<lang>.sms.txt` is the short text
of an SMS, without a subject. A language without its own file falls back to Italian.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError

from ..domain import DEFAULT_LANGUAGE

TEMPLATES_DIR = Path(__file__).parent / "templates"
SUBJECT_PREFIX = "Subject:"
SMS = "sms"


class RenderingFailed(Exception):
    """A template is missing, malformed or needs a value the notification does not carry."""


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body: str


class TemplateRenderer:
    def __init__(self, directory: Path = TEMPLATES_DIR) -> None:
        # Plain text, not HTML: nothing to escape. StrictUndefined: a missing value is an error,
        # never a blank in a letter to a citizen.
        self._env = Environment(
            loader=FileSystemLoader(directory),
            autoescape=False,
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )

    def render(
        self, template: str, language: str, context: Mapping[str, str], channel: str = "email"
    ) -> RenderedMessage:
        if channel == SMS:
            text = self._text(template, language, ".sms.txt", context)
            return RenderedMessage(subject="", body=" ".join(text.split()))
        text = self._text(template, language, ".txt", context)
        first, _, body = text.partition("\n")
        if not first.startswith(SUBJECT_PREFIX):
            raise RenderingFailed(
                f"{template}.{language}: first line must be '{SUBJECT_PREFIX} ...'"
            )
        # One line whatever the values held: a header never carries a line break.
        subject = " ".join(first.removeprefix(SUBJECT_PREFIX).split())
        return RenderedMessage(subject=subject, body=body)

    def _text(self, template: str, language: str, suffix: str, context: Mapping[str, str]) -> str:
        names = [f"{template}.{language}{suffix}", f"{template}.{DEFAULT_LANGUAGE}{suffix}"]
        try:
            return self._env.select_template(names).render(**context)
        except TemplateError as exc:
            raise RenderingFailed(f"{template}.{language}{suffix}: {exc}") from exc

    def templates(self) -> set[str]:
        """The names of the messages there are templates for."""
        return {name.split(".", 1)[0] for name in self._env.list_templates(extensions=["txt"])}
