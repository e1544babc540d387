"""A consumed message as the contract reads it: an Incoming event, nothing (an unknown type,
ignored), or a refusal naming why (dead-lettered)."""

from __future__ import annotations

import json

from nats.aio.msg import Msg
from pydantic import ValidationError
from sportello_contracts import CloudEvent, UnknownEventType, parse_payload

from ..application import Incoming, Rejected
from .consumer_spec import ConsumerSpec


def parse_message(msg: Msg, spec: ConsumerSpec) -> Incoming | None:
    """The message as an Incoming event; None: an unknown type to ignore. Raises Rejected for
    what must be dead-lettered (oversized, not a CloudEvent, breaking the contract)."""
    if len(msg.data) > spec.max_payload_bytes:
        limit = spec.max_payload_bytes
        raise Rejected(f"payload of {len(msg.data)} bytes is over the {limit}-byte limit")
    try:
        envelope = CloudEvent.from_bytes(msg.data)
        return Incoming(envelope, parse_payload(envelope), msg.subject)
    except UnknownEventType as exc:
        if spec.ignore_unknown_types:
            return None
        raise Rejected(f"unknown event type {exc}") from exc
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise Rejected(f"not a CloudEvents JSON document: {_summary(exc)}") from exc
        raise Rejected(f"does not match the contract: {_summary(exc)}") from exc
    except ValueError as exc:
        raise Rejected(f"not a CloudEvents JSON document: {exc}") from exc


def _summary(exc: ValidationError) -> str:
    return json.dumps(
        [{"loc": ".".join(map(str, e["loc"])), "msg": e["msg"]} for e in exc.errors()[:5]]
    )
