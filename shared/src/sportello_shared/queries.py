"""Query parameters a route does not know are refused (422), never silently ignored: a typo in
a filter (`?refrence=`) must not answer with every case."""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

_KNOWN: dict[int, frozenset[str]] = {}


def known_query_parameters(route: APIRoute) -> frozenset[str]:
    key = id(route)
    if key not in _KNOWN:
        _KNOWN[key] = frozenset(_aliases(route.dependant))
    return _KNOWN[key]


def _aliases(dependant: Dependant) -> set[str]:
    """The route's own query parameters and those of every dependency it uses."""
    names = {param.alias for param in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _aliases(dependency)
    return names


async def refuse_unknown_query(request: Request) -> None:
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    unknown = sorted(set(request.query_params) - known_query_parameters(route))
    if unknown:
        raise RequestValidationError(
            [
                {
                    "type": "extra_forbidden",
                    "loc": ("query", name),
                    "msg": "unknown query parameter",
                    "input": request.query_params.get(name),
                }
                for name in unknown
            ]
        )
