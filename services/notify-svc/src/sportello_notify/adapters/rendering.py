"""Citizen-facing text from Jinja2 templates: one file per message and language.

A template file's first line is `Subject: ...`; the rest, after it, is the plain-text body.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError

from ..domain import DEFAULT_LANGUAGE

TEMPLATES_DIR = Path(__file__).parent / "templates"
SUBJECT_PREFIX = "Subject:"


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

    def render(self, template: str, language: str, context: Mapping[str, str]) -> RenderedMessage:
        names = [f"{template}.{language}.txt", f"{template}.{DEFAULT_LANGUAGE}.txt"]
        try:
            text = self._env.select_template(names).render(**context)
        except TemplateError as exc:
            raise RenderingFailed(f"{template}.{language}: {exc}") from exc
        first, _, body = text.partition("\n")
        if not first.startswith(SUBJECT_PREFIX):
            raise RenderingFailed(
                f"{template}.{language}: first line must be '{SUBJECT_PREFIX} ...'"
            )
        # One line whatever the values held: a header never carries a line break.
        subject = " ".join(first.removeprefix(SUBJECT_PREFIX).split())
        return RenderedMessage(subject=subject, body=body)
