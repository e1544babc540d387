"""Every route's error answers in the OpenAPI document, with the problem+json schema."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from .problems import PROBLEM_JSON, title

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details, in the caller's language (Accept-Language: it, en)",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "example": "about:blank"},
        "title": {"type": "string", "example": "Dati non validi"},
        "status": {"type": "integer", "example": 422},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "422: what is wrong with each field",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "possible_steps": {
            "type": "array",
            "items": {"type": "string"},
            "description": "409: the steps the case's current status allows",
        },
    },
}
BODY_METHODS = {"POST", "PUT", "PATCH"}


def document_problems(app: FastAPI) -> None:
    """401/403 where a token is needed, 404 where the path names something, 409/413/415 where a
    body is sent, 422 and 503 everywhere. Added to the generated document (FastAPI's own 422
    schema is replaced: the answer is problem+json)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                _add_problems(path, method, operation)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _add_problems(path: str, method: str, operation: dict[str, Any]) -> None:
    statuses = [422, 503]
    if operation.get("security"):
        statuses += [401, 403]
    if "{" in path:
        statuses.append(404)
    if method.upper() in BODY_METHODS:
        statuses += [409, 413, 415]
    responses = operation.setdefault("responses", {})
    for status in sorted(statuses):
        documented = responses.setdefault(str(status), {"description": title(status, "en")})
        documented["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
