"""The published contract: generated from the models, never stale, valid, compatible."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
from sportello_shared.contracts import CloudEvent, parse_payload, wrap
from sportello_shared.contracts.cases import CaseReceived, Citizen
from sportello_shared.contracts.publication import rendered

ROOT = Path(__file__).parents[2]
DOCS = ROOT / "docs"
SAMPLES = Path(__file__).parent / "samples"


def test_the_committed_contract_is_what_the_models_generate() -> None:
    expected = rendered()
    stale = [name for name, content in expected.items() if _read(DOCS / name) != content]
    extra = {f"contract/{p.name}" for p in (DOCS / "contract").glob("*.json")} - expected.keys()
    assert not stale and not extra, f"run `make contract`: stale {stale}, extra {sorted(extra)}"


def test_the_asyncapi_document_passes_the_official_parser() -> None:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "@asyncapi" / "parser").exists():
        pytest.fail("node and `npm ci` are part of `make install`; the parser must run here")
    result = subprocess.run(
        [node, str(Path(__file__).parent / "validate_asyncapi.mjs"), str(DOCS / "asyncapi.yaml")],
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
        description="Parcometro guasto",
        citizen=Citizen(name="Giulia Bianchi", email="giulia.bianchi@example.org"),
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
    schema = json.loads((DOCS / "contract" / "it.sportello.case.received.v1.json").read_text())
    jsonschema.validate(json.loads(received_event().to_bytes()), schema)
    broken = json.loads(received_event().to_bytes())
    del broken["data"]["citizen"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


@pytest.mark.parametrize("sample", sorted(SAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_events_as_published_by_earlier_versions_still_parse(sample: Path) -> None:
    """Samples are frozen copies of what v1 producers published; today's readers accept them."""
    event = CloudEvent.from_bytes(sample.read_bytes())
    payload = parse_payload(event)
    assert payload.event_type() == event.type


def test_a_reader_ignores_fields_added_after_it_was_built() -> None:
    """An additive change to v1 (a new optional field) must not break consumers built before it."""
    published = json.loads(received_event().to_bytes())
    published["data"]["a_field_from_the_future"] = {"anything": 1}
    payload = parse_payload(CloudEvent.model_validate(published))
    assert isinstance(payload, CaseReceived)
