"""GeoReport v2's two wire formats, XML (required by the spec) and JSON, and its error shape."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any
from xml.etree import ElementTree as ET

from fastapi.responses import Response

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

# How the spec names one element of each repeated list in XML.
_ITEM_NAMES = {
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "services": "service",
    "errors": "error",
}


class Format(StrEnum):
    XML = "xml"
    JSON = "json"

    @property
    def media_type(self) -> str:
        return (
            "text/xml; charset=utf-8" if self is Format.XML else "application/json; charset=utf-8"
        )

    @classmethod
    def of(cls, value: object) -> Format:
        """The format a URL's suffix asks for; XML, the spec's default, for anything else."""
        return cls.JSON if value == "json" else cls.XML


class Open311Error(Exception):
    """What the spec calls an error: an HTTP status and one or more {code, description}."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = descriptions or ("errore",)


def render(fmt: Format, root: str, body: Any, status: int = 200) -> Response:
    """`body` is a list (of the root's items, e.g. `services` → `service`) or a dict."""
    if fmt is Format.JSON:
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    else:
        content = XML_DECLARATION + ET.tostring(_element(root, body), encoding="unicode")
    return Response(content.encode("utf-8"), status_code=status, media_type=fmt.media_type)


def render_error(fmt: Format, error: Open311Error) -> Response:
    errors = [{"code": error.status, "description": d} for d in error.descriptions]
    return render(fmt, "errors", errors, status=error.status)


def _element(name: str, value: Any) -> ET.Element:
    element = ET.Element(name)
    if isinstance(value, Mapping):
        for key, child in value.items():
            element.append(_element(key, child))
    elif isinstance(value, Sequence) and not isinstance(value, str):
        item = _ITEM_NAMES.get(name, "item")
        for child in value:
            element.append(_element(item, child))
    else:
        element.text = _text(value)
    return element


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
