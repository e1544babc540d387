"""Whatever arrives on the bus, parsing either yields a typed event or says why not: no crash."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sportello_contracts import CloudEvent, EventPayload, UnknownEventType, parse_payload

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
envelopes = st.fixed_dictionaries(
    {
        "specversion": st.sampled_from(["1.0", "0.3", 1]),
        "id": st.text(max_size=40),
        "source": st.text(max_size=20),
        "type": st.sampled_from(
            [
                "it.sportello.case.submitted.v1",
                "it.sportello.case.status_reported.v1",
                "it.sportello.case.received.v1",
                "it.sportello.case.nope.v9",
                "x",
            ]
        ),
        "subject": st.text(max_size=40),
        "time": st.sampled_from(["2026-03-02T09:00:00+01:00", "2026-03-02T09:00:00", "ieri"]),
        "tenant": st.sampled_from(["pisa", "Pisa", "", "pisa.>"]),
        "organization": st.sampled_from(["unassigned", "pisamo", "*"]),
        "data": st.dictionaries(
            st.sampled_from(
                ["external_id", "kind", "category", "description", "citizen", "case_id", "status"]
            ),
            json_values,
            max_size=7,
        ),
    }
)


KNOWN_TYPES = {
    "it.sportello.case.submitted.v1",
    "it.sportello.case.status_reported.v1",
    "it.sportello.case.received.v1",
}


def parse(raw: bytes) -> EventPayload | Exception:
    """The typed event, or the exception whose text the consumer dead-letters with."""
    try:
        return parse_payload(CloudEvent.from_bytes(raw))
    except (ValidationError, UnknownEventType, ValueError) as exc:
        return exc


def assert_refusal_says_why(refusal: Exception, envelope: dict[str, object] | None) -> None:
    assert str(refusal).strip(), f"{type(refusal).__name__} with no reason"
    if isinstance(refusal, ValidationError):
        # Every error names where it is (the field path) and what is wrong with it.
        for error in refusal.errors():
            assert error["msg"], error
            assert error["type"], error
    if isinstance(refusal, UnknownEventType):
        assert envelope is not None and envelope["type"] not in KNOWN_TYPES
        assert str(refusal) == envelope["type"], "the reason names the unknown type"


@settings(max_examples=500, deadline=None)
@given(envelopes)
def test_structured_garbage_is_refused_with_a_reason(envelope: dict[str, object]) -> None:
    outcome = parse(json.dumps(envelope).encode())
    if isinstance(outcome, Exception):
        assert_refusal_says_why(outcome, envelope)
        if envelope["type"] not in KNOWN_TYPES and envelope["specversion"] == "1.0":
            # A well-formed envelope of a type this build does not know says exactly that,
            # unless the envelope itself is malformed (then the envelope's error comes first).
            assert isinstance(outcome, UnknownEventType | ValidationError)
    else:
        # Accepted only as the type it announced, and as a value that survives the wire.
        assert envelope["type"] in KNOWN_TYPES
        assert outcome.event_type() == envelope["type"]
        assert type(outcome).model_validate(outcome.model_dump(mode="json")) == outcome


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_are_refused_with_a_reason(raw: bytes) -> None:
    outcome = parse(raw)
    if isinstance(outcome, Exception):
        assert_refusal_says_why(outcome, None)
        assert not isinstance(outcome, UnknownEventType), "bytes are not a valid envelope"
    else:  # pragma: no cover - 300 random bytes are never a complete valid event
        raise AssertionError(f"random bytes parsed as {outcome!r}")


def test_a_refused_event_names_the_missing_field() -> None:
    envelope = {
        "specversion": "1.0",
        "id": "x:1",
        "source": "/partner",
        "type": "it.sportello.case.submitted.v1",
        "subject": "ingest.pisa",
        "time": "2026-03-02T09:00:00+01:00",
        "tenant": "pisa",
        "organization": "unassigned",
        "data": {"kind": "segnalazione"},
    }
    refusal = parse(json.dumps(envelope).encode())
    assert isinstance(refusal, ValidationError)
    missing = {error["loc"][0] for error in refusal.errors() if error["type"] == "missing"}
    assert {"external_id", "description", "citizen"} <= missing, missing


def test_an_unknown_type_is_refused_by_its_name() -> None:
    envelope = {
        "specversion": "1.0",
        "id": "x:1",
        "source": "/partner",
        "type": "it.sportello.case.nope.v9",
        "subject": "ingest.pisa",
        "time": "2026-03-02T09:00:00+01:00",
        "tenant": "pisa",
        "organization": "unassigned",
        "data": {},
    }
    refusal = parse(json.dumps(envelope).encode())
    assert isinstance(refusal, UnknownEventType)
    assert str(refusal) == "it.sportello.case.nope.v9"
