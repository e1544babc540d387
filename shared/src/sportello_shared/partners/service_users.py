"""The services' own NATS users in the core account, each limited to what its service does.

Inside the `SPORTELLO` account every service once shared one user, so the requester part of
`personal.<tenant>.<requester>` (the identity intake answers by) was vouched for by NATS only for
partners. Now each service has a user of its own: routing may request only
`personal.*.routing`, notify only `personal.*.notify`; only intake subscribes to `personal.>`
(and may answer, `allow_responses`); each receives its replies on its own inbox prefix
(`_INBOX.<user>.>`, `ServiceSettings.nats_inbox_prefix`), so no service reads another's answers.

Every service also needs the JetStream API (`$JS.API.>`: streams, consumers, pull requests, the
dead letters' deletion), acknowledgements (`$JS.ACK.>`) and flow control (`$JS.FC.>`). A redrive
(`/admin/dlq`) republishes a dead letter on its original subject, so a service may publish on the
subjects of the streams it consumes; none of those is a `personal.` subject.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PASSWORD_PREFIX = "SPORTELLO_NATS_PASSWORD_"
JETSTREAM = ("$JS.API.>", "$JS.ACK.>", "$JS.FC.>")


@dataclass(frozen=True)
class ServiceUser:
    """One service's NATS user: the subjects it may publish and subscribe to, beyond JetStream."""

    name: str
    publish: tuple[str, ...]
    subscribe: tuple[str, ...] = ()
    answers_requests: bool = False

    @property
    def password_variable(self) -> str:
        return f"{PASSWORD_PREFIX}{self.name.upper()}"

    @property
    def inbox(self) -> str:
        """Where its requests' replies and its consumers' messages arrive (nats-py inbox_prefix)."""
        return f"_INBOX.{self.name}"

    def permissions(self) -> dict[str, Any]:
        granted: dict[str, Any] = {
            "publish": {"allow": [*JETSTREAM, *self.publish]},
            "subscribe": {"allow": [f"{self.inbox}.>", *self.subscribe]},
        }
        if self.answers_requests:
            # may publish on the reply subject of a request it received, and nothing else
            granted["allow_responses"] = True
        return granted


SERVICE_USERS: tuple[ServiceUser, ...] = (
    ServiceUser(
        "intake",
        publish=("cases.>", "ingest.>", "sla.>", "dlq.intake"),
        subscribe=("personal.>",),
        answers_requests=True,
    ),
    ServiceUser("routing", publish=("cases.>", "dlq.routing", "personal.*.routing")),
    ServiceUser("sla", publish=("sla.>", "cases.>", "notifications.>", "dlq.sla")),
    ServiceUser(
        "notify",
        publish=("notifications.>", "cases.>", "sla.>", "dlq.notify", "personal.*.notify"),
    ),
    # the staff console only reads CASES and SLA through its durable consumers
    ServiceUser("console", publish=("dlq.console",)),
)


def service_user(name: str) -> ServiceUser:
    for user in SERVICE_USERS:
        if user.name == name:
            return user
    raise LookupError(f"{name!r} is not a service with a NATS user")
