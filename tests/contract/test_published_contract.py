"""The published contract: generated from the models, never stale, valid, compatible."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
from sportello_contracts import CloudEvent, parse_payload, wrap
from sportello_contracts.cases import CaseAssigned, CaseHandedOver, CaseReceived
from sportello_contracts.publication import rendered
from sportello_contracts.upcasting import PERSONAL_FIELDS

ROOT = Path(__file__).parents[2]
# What `make contract` writes, shipped inside the sportello-contracts package.
PUBLISHED = ROOT / "contracts" / "src" / "sportello_contracts" / "published"
SAMPLES = Path(__file__).parent / "samples"


def test_the_committed_contract_is_what_the_models_generate() -> None:
    expected = rendered()
    stale = [name for name, content in expected.items() if _read(PUBLISHED / name) != content]
    extra = {f"schemas/{p.name}" for p in (PUBLISHED / "schemas").glob("*.json")} - expected.keys()
    assert not stale and not extra, f"run `make contract`: stale {stale}, extra {sorted(extra)}"


def test_the_asyncapi_document_passes_the_official_parser() -> None:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "@asyncapi" / "parser").exists():
        pytest.fail("node and `npm ci` are part of `make install`; the parser must run here")
    result = subprocess.run(
        [
            node,
            str(Path(__file__).parent / "validate_asyncapi.mjs"),
            str(PUBLISHED / "asyncapi.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    report = json.loads(result.stdout)
    assert result.returncode == 0 and report["valid"], report["errors"]


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None


def received_event() -> CloudEvent:
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    payload = CaseReceived(
        case_id="5f0c8c1e-0000-4000-8000-000000000001",
        reference="PI-2026-000001",
        occurred_at=now,
        kind="reclamo",
        channel="phone",
        category="parcheggi",
        has_location=False,
        received_at=now,
        registered_at=now,
    )
    return wrap(
        payload,
        aggregate_id=payload.case_id,
        aggregate_version=1,
        source="/sportello/intake-svc",
        subject=payload.case_id,
        time=now,
        tenant="pisa",
        organization="unassigned",
        traceparent=None,
    )


def test_a_published_event_validates_against_its_json_schema() -> None:
    schema = json.loads((PUBLISHED / "schemas" / "it.sportello.case.received.v2.json").read_text())
    jsonschema.validate(json.loads(received_event().to_bytes()), schema)
    broken = json.loads(received_event().to_bytes())
    del broken["data"]["kind"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


@pytest.mark.parametrize(
    "event",
    [
        "received",
        "handed_over",
        "citizen_contacted",
        "waiting_for_citizen",
        "closed",
        "rejected",
        "duplicate_merged",
        "citizen_updated",
        "transferred",
        "consulted",
        "callback_scheduled",
        "callback_done",
        # Casale's procedures (issue 18 point 6)
        "protocolled",
        "inspection_scheduled",
        "inspection_reported",
        "attestation_issued",
        "forwarded",
        "office_answered",
    ],
)
def test_no_published_case_event_has_a_field_for_personal_data_or_office_text(event: str) -> None:
    [name] = list((PUBLISHED / "schemas").glob(f"it.sportello.case.{event}.v*.json"))
    schema = json.loads(name.read_text())
    fields = set(
        schema["$defs"][next(k for k in schema["$defs"] if k != "CloudEvent")]["properties"]
    )
    forbidden = {*PERSONAL_FIELDS, "note", "request", "outcome", "reason", "message"}
    forbidden |= {"question", "answer"}
    assert not fields & forbidden, f"{name.name} publishes {fields & forbidden}"


@pytest.mark.parametrize("sample", sorted(SAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_events_as_published_by_earlier_versions_still_parse(sample: Path) -> None:
    """Samples are frozen copies of what earlier producers published; today's readers accept
    them, a v1 case event as today's version without its personal data (upcasting)."""
    event = CloudEvent.from_bytes(sample.read_bytes())
    payload = parse_payload(event)
    assert payload.event_type().rpartition(".v")[0] == event.type.rpartition(".v")[0]
    kept = payload.model_dump(mode="json")
    assert not set(kept) & {*PERSONAL_FIELDS, "outcome"}
    assert "Giulia" not in json.dumps(kept) and "Parcometro" not in json.dumps(kept)


def test_a_v1_hand_over_is_read_as_v2_keeping_its_facts() -> None:
    sample = CloudEvent.from_bytes((SAMPLES / "case.handed_over.v1.json").read_bytes())
    payload = parse_payload(sample)
    assert isinstance(payload, CaseHandedOver)
    assert (payload.organization, payload.category, payload.has_location) == (
        "pisamo",
        "parcheggi",
        True,
    )


def test_a_reader_ignores_fields_added_after_it_was_built() -> None:
    """An additive change to v1 (a new optional field) must not break consumers built before it."""
    published = json.loads(received_event().to_bytes())
    published["data"]["a_field_from_the_future"] = {"anything": 1}
    payload = parse_payload(CloudEvent.model_validate(published))
    assert isinstance(payload, CaseReceived)


def test_a_v1_manual_assignment_is_read_without_the_operator_s_words() -> None:
    sample = CloudEvent.from_bytes((SAMPLES / "case.assigned.manual.v1.json").read_bytes())
    payload = parse_payload(sample)
    assert isinstance(payload, CaseAssigned)
    assert payload.reasons == ["reassigned by operator-1"]
    assert (payload.has_reason, payload.reason_length) == (True, 66)
