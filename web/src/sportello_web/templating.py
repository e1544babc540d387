"""Jinja2 templates with the web layer's layout, filters (Rome times) and globals (i18n, CSRF)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape

from . import dates
from .csrf import FIELD, csrf_token
from .i18n import Catalogue, language_of

TEMPLATES_DIR = Path(__file__).parent / "templates"


def make_templates(
    template_dirs: Sequence[Path],
    catalogue: Catalogue,
    brand: dict[str, str] | None = None,
) -> Jinja2Templates:
    """The application's own templates first, then `web/…` (base layout, error page)."""
    environment = Environment(
        loader=ChoiceLoader([FileSystemLoader([*template_dirs, TEMPLATES_DIR])]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    add_helpers(environment, catalogue, brand or {})
    return Jinja2Templates(env=environment)


def add_helpers(environment: Environment, catalogue: Catalogue, brand: dict[str, str]) -> None:
    environment.filters.update(
        rome_datetime=dates.rome_datetime,
        rome_date=dates.rome_date,
        rome_iso=dates.rome_iso,
        rome_input=dates.rome_input,
    )

    @pass_context
    def translate(context: Context, key: str, **values: object) -> str:
        return catalogue.get(_lang(context), key, **values)

    @pass_context
    def current_lang(context: Context) -> str:
        return _lang(context)

    @pass_context
    def token(context: Context) -> str:
        return csrf_token(context["request"])

    @pass_context
    def csrf_input(context: Context) -> Markup:
        value = escape(csrf_token(context["request"]))
        return Markup(f'<input type="hidden" name="{FIELD}" value="{value}">')

    environment.globals.update(
        _=translate,
        lang=current_lang,
        csrf_token=token,
        csrf_input=csrf_input,
        brand=brand,
    )


def _lang(context: Context) -> str:
    request: Any = context.get("request")
    return language_of(request) if request is not None else "it"
