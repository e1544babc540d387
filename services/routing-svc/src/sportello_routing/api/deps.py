"""What every routing handler needs: the application and its single writer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict
from sportello_shared.application import Writer

from ..application import RoutingApplication

T = TypeVar("T")


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Routing:
    def __init__(self, request: Request) -> None:
        runtime = request.app.state.runtime
        self.app: RoutingApplication = runtime.app
        self.writer: Writer = runtime.writer

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Reads and writes both go through the writer: one thread owns the Application."""
        return await self.writer.call(fn, *args)


RoutingDep = Annotated[Routing, Depends(Routing)]
