"""What a use case or a reaction changed, collected for one transaction (issue 20).

eventsourcing's `ProcessingEvent.collect_events` asks of every aggregate whether it is a domain
event and then whether it can collect events, both `isinstance` checks against runtime-checkable
protocols, which walk the protocols' attributes every time: 4 to 5 % of sla-svc's and notify's
writer thread under load. An aggregate (every one here derives from eventsourcing's
`BaseAggregate`) is recognised by its class instead; anything else goes the library's way.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import BaseAggregate


class Changes(ProcessingEvent[UUID]):
    def collect_events(self, *objs: Any, **kwargs: Any) -> None:
        for obj in objs:
            if isinstance(obj, BaseAggregate):
                self.events.extend(obj.collect_events())
                self.aggregates[obj.id] = obj
            elif obj is not None:
                super().collect_events(obj)
        self.saved_kwargs.update(kwargs)
