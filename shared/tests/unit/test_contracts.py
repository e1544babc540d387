"""The public contract: envelope, payload registry, subjects."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from sportello_contracts import (
    BY_TYPE,
    PAYLOAD_TYPES,
    CloudEvent,
    EventPayload,
    UnknownEventType,
    parse_payload,
    wrap,
)
from sportello_contracts.cases import CaseAssigned, CaseClosed, Citizen, text_facts
from sportello_contracts.subjects import case_subject, dlq_subject

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def closed_event() -> CloudEvent:
    payload = CaseClosed(
        case_id="c-1",
        reference="PI-2026-000007",
        occurred_at=NOW,
        **text_facts("outcome", "Fatto"),
    )
    return wrap(
        payload,
        aggregate_id="c-1",
        aggregate_version=5,
        source="/sportello/intake-svc",
        subject="c-1",
        time=NOW,
        tenant="pisa",
        organization="pisamo",
        traceparent="00-0123456789abcdef0123456789abcdef-0123456789abcdef-01",
    )


def test_an_event_is_a_cloudevent_with_a_deterministic_id_and_versioned_type() -> None:
    event = closed_event()
    assert event.id == "c-1:5"
    assert event.type == "it.sportello.case.closed.v2"
    assert event.specversion == "1.0"
    assert event.dataschema == "urn:sportello:schema:it.sportello.case.closed.v2"


def test_an_event_round_trips_through_json_to_its_typed_payload() -> None:
    event = CloudEvent.from_bytes(closed_event().to_bytes())
    payload = parse_payload(event)
    assert isinstance(payload, CaseClosed)
    assert (payload.has_outcome, payload.outcome_length) == (True, 5)


def test_a_v1_event_is_read_as_today_s_version_without_the_office_s_text() -> None:
    v1 = closed_event().model_dump(mode="json")
    v1["type"] = "it.sportello.case.closed.v1"
    v1["data"] = {k: v for k, v in v1["data"].items() if not k.endswith("outcome")}
    v1["data"]["outcome"] = "Riparato il lampione di via Roma 3, chiamato il sig. Rossi"
    payload = parse_payload(CloudEvent.model_validate(v1))
    assert isinstance(payload, CaseClosed)
    assert (payload.has_outcome, payload.outcome_length) == (True, len(v1["data"]["outcome"]))
    assert "Rossi" not in payload.model_dump_json()


def test_an_unknown_type_is_reported_as_such() -> None:
    event = closed_event().model_copy(update={"type": "it.sportello.case.closed.v9"})
    with pytest.raises(UnknownEventType):
        parse_payload(event)


def test_every_payload_type_is_registered_once() -> None:
    def concrete(cls: type[EventPayload]) -> set[type[EventPayload]]:
        found = {cls} if "event" in vars(cls) else set()
        for sub in cls.__subclasses__():
            found |= concrete(sub)
        return found

    assert set(BY_TYPE.values()) == concrete(EventPayload)
    assert len(BY_TYPE) == len(PAYLOAD_TYPES)
    assert all(t.startswith("it.sportello.") and t[-3:] in (".v1", ".v2") for t in BY_TYPE)


def test_a_citizen_without_any_contact_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least one contact"):
        Citizen(name="Anonimo")


def test_subjects_follow_the_design() -> None:
    assert case_subject("pisa", None, "received") == "cases.pisa.unassigned.received"
    assert case_subject("pisa", "pisamo", "assigned") == "cases.pisa.pisamo.assigned"
    assert dlq_subject("intake") == "dlq.intake"


@given(st.text(min_size=1, max_size=20))
def test_a_subject_token_never_smuggles_wildcards_or_separators(token: str) -> None:
    try:
        subject = case_subject("pisa", token, "received")
    except ValueError:
        return
    assert subject.count(".") == 3
    assert not {"*", ">", " ", "\n", "\t", "\r"} & set(subject)


def test_an_organization_must_be_usable_as_a_subject_token() -> None:
    with pytest.raises(ValidationError, match="organization"):
        CaseAssigned(
            case_id="c-1",
            reference="PI-2026-000007",
            occurred_at=NOW,
            organization="pisa/sepi",
            organization_name="SEPI",
            rule_id="category:tributi",
            rule_version=1,
            reasons=[],
        )


def test_times_without_an_offset_are_refused() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        CaseClosed(
            case_id="c",
            reference="r",
            occurred_at=datetime(2026, 1, 1),
            **text_facts("outcome", "x"),
        )
