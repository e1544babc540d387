"""The published contract, generated from the pydantic models: JSON Schemas and AsyncAPI 3.0.

`make contract` writes them into the package (`sportello_contracts/published/`, read back with
`sportello_contracts.published`); a test fails when what is committed is stale. Nothing here is
written by hand twice: change a model, regenerate. Writing YAML needs the `publication` extra
(PyYAML); reading the models and the published files needs pydantic only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from . import personal
from .envelope import CloudEvent, EventPayload
from .ingest import CaseStatusReported, CaseSubmitted
from .personal import PersonalAnswer, PersonalRefusal, PersonalRequest
from .registry import PAYLOAD_TYPES

COMPONENT_REF = "#/components/schemas/{model}"
HEADERS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "Nats-Msg-Id": {
            "type": "string",
            "description": "the event id (`<aggregate id>:<version>`): JetStream drops a"
            " republished duplicate",
        },
        "Sportello-Producer": {
            "type": "string",
            "description": "the service that stored the event",
        },
        "Sportello-Notification-Id": {
            "type": "string",
            "description": "the producer's position of the event: deduplicate on (producer, id)",
        },
        "traceparent": {"type": "string", "description": "W3C trace context"},
    },
}
PARAMETERS = {
    "tenant": "the municipality, e.g. `pisa`",
    "organization": "who handles the case (`unassigned` before routing), e.g. `pisamo`",
    "source": "the publishing platform or partner company, e.g. `pisamo`",
}


def address(payload_type: type[EventPayload]) -> str:
    if payload_type in (CaseSubmitted, CaseStatusReported):
        return "ingest.{tenant}.{source}"
    if payload_type.aggregate == "case":
        return f"cases.{{tenant}}.{{organization}}.{payload_type.event}"
    if payload_type.aggregate == "sla":
        return f"sla.{{tenant}}.{{organization}}.{payload_type.event}"
    if payload_type.aggregate == "survey":
        return "notifications.{tenant}.survey_answered"
    return f"notifications.{{tenant}}.{payload_type.event}"


def _message_name(payload_type: type[EventPayload]) -> str:
    return f"{payload_type.__name__}V{payload_type.version}"


def _envelope_for(payload_type: type[EventPayload], data_ref: str) -> dict[str, Any]:
    return {
        "allOf": [
            {"$ref": data_ref.format(model="CloudEvent")},
            {
                "type": "object",
                "properties": {
                    "type": {"const": payload_type.event_type()},
                    "data": {"$ref": data_ref.format(model=payload_type.__name__)},
                },
            },
        ]
    }


def component_schemas() -> dict[str, Any]:
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (CloudEvent, "validation"),
        *((t, "validation") for t in PAYLOAD_TYPES),
    ]
    _, schema = models_json_schema(models, ref_template=COMPONENT_REF)
    definitions: dict[str, Any] = schema["$defs"]
    return dict(sorted(definitions.items()))


def json_schemas() -> dict[str, dict[str, Any]]:
    """One standalone JSON Schema (draft 2020-12) per event type and version."""
    schemas = {}
    for payload_type in PAYLOAD_TYPES:
        _, schema = models_json_schema(
            [(CloudEvent, "validation"), (payload_type, "validation")],
            ref_template="#/$defs/{model}",
        )
        schemas[f"{payload_type.event_type()}.json"] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"urn:sportello:schema:{payload_type.event_type()}",
            "title": payload_type.event_type(),
            "description": (payload_type.__doc__ or "").strip() or payload_type.event_type(),
            **_envelope_for(payload_type, "#/$defs/{model}"),
            "$defs": schema["$defs"],
        }
    return schemas


def _personal_data_channels(schemas: dict[str, Any], messages: dict[str, Any]) -> dict[str, Any]:
    """The request/reply on `personal.{tenant}.{requester}` (contracts/personal.py)."""
    _, defs = models_json_schema(
        [
            (PersonalRequest, "validation"),
            (PersonalAnswer, "validation"),
            (PersonalRefusal, "validation"),
        ],
        ref_template=COMPONENT_REF,
    )
    schemas.update(defs["$defs"])
    for model in (PersonalRequest, PersonalAnswer, PersonalRefusal):
        messages[model.__name__] = {
            "name": model.__name__,
            "title": model.__name__,
            "summary": (model.__doc__ or model.__name__).strip().splitlines()[0],
            "contentType": "application/json",
            "payload": {"$ref": COMPONENT_REF.format(model=model.__name__)},
        }
    return {
        "personal_tenant_requester": {
            "address": "personal.{tenant}.{requester}",
            "description": (personal.__doc__ or "").strip(),
            "parameters": {
                "tenant": {"description": PARAMETERS["tenant"]},
                "requester": {
                    "description": "who asks: `routing`, `notify` or the partner's organization"
                    " (NATS permissions let each publish only on its own)"
                },
            },
            "messages": {"PersonalRequest": {"$ref": "#/components/messages/PersonalRequest"}},
        },
        "personal_reply": {
            "address": None,
            "description": "the requester's reply inbox",
            "messages": {
                name: {"$ref": f"#/components/messages/{name}"}
                for name in ("PersonalAnswer", "PersonalRefusal")
            },
        },
    }


def asyncapi_document() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas = component_schemas()
    for payload_type in PAYLOAD_TYPES:
        name = _message_name(payload_type)
        schemas[f"{name}Event"] = _envelope_for(payload_type, COMPONENT_REF)
        messages[name] = {
            "name": payload_type.event_type(),
            "title": payload_type.event_type(),
            "summary": (payload_type.__doc__ or payload_type.event_type()).strip().splitlines()[0],
            "contentType": "application/json",
            "headers": HEADERS_SCHEMA,
            "payload": {"$ref": COMPONENT_REF.format(model=f"{name}Event")},
        }
        channel_id = address(payload_type).replace(".", "_").replace("{", "").replace("}", "")
        channel = channels.setdefault(
            channel_id,
            {
                "address": address(payload_type),
                "parameters": {
                    p: {"description": PARAMETERS[p]}
                    for p in ("tenant", "organization", "source")
                    if f"{{{p}}}" in address(payload_type)
                },
                "messages": {},
            },
        )
        channel["messages"][name] = {"$ref": f"#/components/messages/{name}"}
        inbound = payload_type in (CaseSubmitted, CaseStatusReported)
        operations[f"{'receive' if inbound else 'publish'}{name}"] = {
            "action": "receive" if inbound else "send",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "messages": [{"$ref": f"#/channels/{channel_id}/messages/{name}"}],
        }
    channels.update(_personal_data_channels(schemas, messages))
    operations["requestPersonalData"] = {
        "action": "receive",
        "summary": "intake answers a case's personal data to who may read it",
        "channel": {"$ref": "#/channels/personal_tenant_requester"},
        "messages": [{"$ref": "#/channels/personal_tenant_requester/messages/PersonalRequest"}],
        "reply": {
            "channel": {"$ref": "#/channels/personal_reply"},
            "messages": [
                {"$ref": f"#/channels/personal_reply/messages/{name}"}
                for name in ("PersonalAnswer", "PersonalRefusal")
            ],
        },
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Sportello events",
            "version": "2.0.0",
            "description": (
                "CloudEvents 1.0 (structured JSON) on NATS JetStream. `type` carries the version "
                "(`it.sportello.<aggregate>.<event>.v<N>`); `subject` is the case id. A partner "
                "company may read `cases.<tenant>.<its organization>.>` and publish on "
                "`ingest.<tenant>.<its organization>`. No event carries personal data: who needs"
                " the citizen's contact or what they wrote asks intake on"
                " `personal.<tenant>.<requester>` (request/reply)."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "production": {
                "host": "nats.sportello.example:4222",
                "protocol": "nats",
                "description": "3-node JetStream cluster; per-partner credentials",
            },
            "development": {
                "host": "127.0.0.1:4222",
                "protocol": "nats",
                "description": "`make run`",
            },
        },
        "channels": dict(sorted(channels.items())),
        "operations": dict(sorted(operations.items())),
        "components": {"messages": messages, "schemas": schemas},
    }


PUBLISHED = Path(__file__).parent / "published"


def rendered() -> dict[str, str]:
    """Every generated file, path relative to `published/` → content."""
    import yaml  # the `publication` extra: only who regenerates the contract needs it

    files = {
        f"schemas/{name}": json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
        for name, schema in json_schemas().items()
    }
    files["asyncapi.yaml"] = yaml.safe_dump(
        asyncapi_document(), sort_keys=False, allow_unicode=True, width=100
    )
    return files


def write(target: Path = PUBLISHED) -> list[Path]:
    written = []
    for relative, content in rendered().items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    import sys

    for path in write(Path(sys.argv[1]) if len(sys.argv) > 1 else PUBLISHED):
        print(path)  # noqa: T201
