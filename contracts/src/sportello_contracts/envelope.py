"""The CloudEvents 1.0 envelope (structured JSON mode) every Sportello message travels in."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SPEC_VERSION = "1.0"
TYPE_PREFIX = "it.sportello"
SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"


class EventPayload(BaseModel):
    """Base of every public event payload: knows its CloudEvents type and subject segment.

    Readers are tolerant: a field added to v1 later (an additive, compatible change) is ignored by
    consumers built before it, so old consumers keep parsing what is published.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    aggregate: ClassVar[str]
    event: ClassVar[str]
    version: ClassVar[int] = 1

    @classmethod
    def event_type(cls) -> str:
        return f"{TYPE_PREFIX}.{cls.aggregate}.{cls.event}.v{cls.version}"


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 event with Sportello's extensions `tenant`, `organization`, `traceparent`.

    `data` stays a plain mapping here; `contracts.registry.parse_payload` turns it into the typed
    payload named by `type`, so an envelope with an unknown (newer) type still parses.
    """

    model_config = ConfigDict(frozen=True, extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1, max_length=200)
    type: str = Field(pattern=r"^it\.sportello\.[a-z_]+\.[a-z_]+\.v[0-9]+$")
    subject: str = Field(min_length=1, max_length=200)
    time: datetime
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str | None = None
    tenant: str = Field(pattern=SLUG)
    organization: str = Field(pattern=SLUG)
    traceparent: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"
    )
    data: dict[str, Any]

    @field_validator("time")
    @classmethod
    def _time_is_aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("time must carry a UTC offset")
        return value

    def to_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> CloudEvent:
        return cls.model_validate_json(raw)


def event_id(aggregate_id: object, version: int) -> str:
    """The deterministic event id: `<aggregate id>:<version>`, also the `Nats-Msg-Id`."""
    return f"{aggregate_id}:{version}"


def dataschema_for(payload_type: type[EventPayload]) -> str:
    return f"urn:sportello:schema:{payload_type.event_type()}"


def wrap(
    payload: EventPayload,
    *,
    aggregate_id: object,
    aggregate_version: int,
    source: str,
    subject: str,
    time: datetime,
    tenant: str,
    organization: str,
    traceparent: str | None,
) -> CloudEvent:
    return CloudEvent(
        id=event_id(aggregate_id, aggregate_version),
        source=source,
        type=payload.event_type(),
        subject=subject,
        time=time,
        dataschema=dataschema_for(type(payload)),
        tenant=tenant,
        organization=organization,
        traceparent=traceparent,
        data=payload.model_dump(mode="json"),
    )
