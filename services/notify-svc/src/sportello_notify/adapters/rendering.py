"""Text from Jinja2 templates: one file per message, language and kind of text.

`<template>.<lang>.txt` is a mail (also printed as a letter, posted as a webhook): its first line
is `Subject: ...` and the rest the plain-text body. `<template>.<lang>.sms.txt` is the short text
of an SMS, without a subject. A language without its own file falls back to Italian. Files whose
name starts with `_` are parts included by the others (the way back to the Comune, a footer).

A tenant may reword any of them: `deploy/tenants/<tenant>/templates/` holds files of the same
names, found before the global ones (a Jinja2 loader chain), parts included by a global template
too. A file there that names no global template is refused at start-up (a typo would otherwise be
silently ignored).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
)

from ..domain import DEFAULT_LANGUAGE

TEMPLATES_DIR = Path(__file__).parent / "templates"
TENANT_TEMPLATES = "templates"  # deploy/tenants/<tenant>/templates/
SUBJECT_PREFIX = "Subject:"
SMS = "sms"


class RenderingFailed(Exception):
    """A template is missing, malformed or needs a value the notification does not carry."""


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body: str


class TemplateRenderer:
    """`tenants_dir`: where each tenant's own wording may be (`<tenant>/templates/`)."""

    def __init__(self, directory: Path = TEMPLATES_DIR, tenants_dir: Path | None = None) -> None:
        self._global = self._environment(FileSystemLoader(directory))
        known = set(self._global.list_templates())
        self._tenants: dict[str, Environment] = {}
        self._reworded: dict[str, set[str]] = {}
        for own in sorted(tenants_dir.glob(f"*/{TENANT_TEMPLATES}")) if tenants_dir else ():
            files = set(FileSystemLoader(own).list_templates())
            if unknown := sorted(files - known):
                raise RenderingFailed(f"{own}: no global template named {unknown}")
            loader = ChoiceLoader([FileSystemLoader(own), FileSystemLoader(directory)])
            self._tenants[own.parent.name] = self._environment(loader)
            self._reworded[own.parent.name] = files

    @staticmethod
    def _environment(loader: BaseLoader) -> Environment:
        # Plain text, not HTML: nothing to escape. StrictUndefined: a missing value is an error,
        # never a blank in a letter to a citizen. Read once, as they are checked once, at start-up:
        # a reworded file takes effect at the next start (auto_reload asked the file system for
        # its date before every mail).
        return Environment(
            loader=loader,
            autoescape=False,
            undefined=StrictUndefined,
            keep_trailing_newline=True,
            auto_reload=False,
        )

    def reworded(self) -> dict[str, set[str]]:
        """Each tenant with wording of its own, and the files it rewords."""
        return {tenant: set(files) for tenant, files in self._reworded.items()}

    def render(
        self,
        template: str,
        language: str,
        context: Mapping[str, str],
        channel: str = "email",
        tenant: str | None = None,
    ) -> RenderedMessage:
        """`tenant`: its own wording first, where it has some."""
        env = self._tenants.get(tenant or "", self._global)
        if channel == SMS:
            text = self._text(env, template, language, ".sms.txt", context)
            return RenderedMessage(subject="", body=" ".join(text.split()))
        text = self._text(env, template, language, ".txt", context)
        first, _, body = text.partition("\n")
        if not first.startswith(SUBJECT_PREFIX):
            raise RenderingFailed(
                f"{template}.{language}: first line must be '{SUBJECT_PREFIX} ...'"
            )
        # One line whatever the values held: a header never carries a line break.
        subject = " ".join(first.removeprefix(SUBJECT_PREFIX).split())
        return RenderedMessage(subject=subject, body=body)

    @staticmethod
    def _text(
        env: Environment, template: str, language: str, suffix: str, context: Mapping[str, str]
    ) -> str:
        names = [f"{template}.{language}{suffix}", f"{template}.{DEFAULT_LANGUAGE}{suffix}"]
        try:
            return env.select_template(names).render(**context)
        except TemplateError as exc:
            raise RenderingFailed(f"{template}.{language}{suffix}: {exc}") from exc

    def templates(self) -> set[str]:
        """The names of the messages there are templates for."""
        names = self._global.list_templates(extensions=["txt"])
        return {name.split(".", 1)[0] for name in names if not name.startswith("_")}
