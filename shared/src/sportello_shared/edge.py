"""The typed edge toolkit every service's HTTP handlers share.

- `ServiceEdge[A]`: this service's application (typed `A`) and its one writer, as a FastAPI
  dependency; a service names its own (`class Routing(ServiceEdge[RoutingApplication])`) and adds
  what only it needs.
- `invalid(field, message)`: the one way a handler refuses a field (422 problem+json naming it,
  like pydantic's own validation errors).
- `UnknownTenant` (`sportello_shared.tenants`) is answered the same by every service
  (`http.create_service_app`): 404 when the address named the tenant, 422 naming the field when a
  request's field did.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Callable
from typing import Any, Generic, Literal, NoReturn, ParamSpec, TypeVar, cast

from fastapi import Request
from fastapi.exceptions import RequestValidationError

from .application import ServiceApplication
from .problems import invalid_input
from .runtime import Runtime
from .writer import Writer

A = TypeVar("A", bound=ServiceApplication)
E = TypeVar("E")
P = ParamSpec("P")
T = TypeVar("T")
Where = Literal["query", "body", "path", "header"]


def runtime_of(request: Request) -> Runtime[Any]:
    """The running service behind this request (set by `create_service_app`'s lifespan)."""
    return cast(Runtime[Any], request.app.state.runtime)


class ServiceEdge(Generic[A]):
    """This service's application and its writer, as the HTTP handlers see them."""

    def __init__(self, request: Request) -> None:
        self.runtime: Runtime[Any] = runtime_of(request)
        self.app: A = self.runtime.app
        self.writer: Writer = self.runtime.writer

    async def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `fn` on the writer thread: one thread owns the Application."""
        return await self.writer.call(fn, *args, **kwargs)


def built_on_the_loop(cls: type[E]) -> Callable[..., Awaitable[E]]:
    """`cls` as a FastAPI dependency made on the event loop. FastAPI makes a class dependency in
    its thread pool, a thread hop per request (7 % of intake's time under load); these classes
    only read the request and the running service, so they need no thread."""
    hints = typing.get_type_hints(cls.__init__, include_extras=True)
    parameters = [
        p.replace(annotation=hints.get(p.name, p.annotation))
        for p in inspect.signature(cls).parameters.values()
    ]

    async def build(**kwargs: Any) -> E:
        return cls(**kwargs)

    build.__signature__ = inspect.Signature(parameters, return_annotation=cls)  # type: ignore[attr-defined]
    build.__qualname__ = build.__name__ = cls.__name__
    return build


def invalid(field: str, en: str, where: Where = "query", *, it: str | None = None) -> NoReturn:
    """Refuse a field: a 422 problem+json naming it, like FastAPI's own validation errors, in
    the caller's language when the Italian wording is given (English otherwise)."""
    if it is not None:
        raise invalid_input(where, field, it=it, en=en)
    raise RequestValidationError(
        [{"loc": (where, field), "msg": en, "type": "value_error", "input": None}]
    )
