"""What every routing handler needs: the application and its single writer."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from pydantic import BaseModel, ConfigDict
from sportello_shared.edge import ServiceEdge, built_on_the_loop

from ..application import RoutingApplication


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Routing(ServiceEdge[RoutingApplication]):
    """Reads and writes both go through the writer (`call`): one thread owns the Application."""


RoutingDep = Annotated[Routing, Depends(built_on_the_loop(Routing))]
