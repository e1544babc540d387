"""Whatever arrives on the bus, parsing either yields a typed event or says why not: no crash."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sportello_shared.contracts import CloudEvent, UnknownEventType, parse_payload

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


def parse(raw: bytes) -> object:
    try:
        return parse_payload(CloudEvent.from_bytes(raw))
    except (ValidationError, UnknownEventType, ValueError):
        return None  # a reason the consumer dead-letters with


@settings(max_examples=500, deadline=None)
@given(envelopes)
def test_structured_garbage_is_refused_with_a_reason(envelope: dict[str, object]) -> None:
    parse(json.dumps(envelope).encode())


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_are_refused_with_a_reason(raw: bytes) -> None:
    parse(raw)
