"""notify-svc's own refusals in the caller's language: Italian by default, English if asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from sportello_notify.domain import InvalidRating, Survey

from .conftest import SmtpServer
from .test_service import AppFactory, client_for, service  # noqa: F401


@pytest.mark.parametrize(
    ("language", "tenant", "backwards"),
    [
        (None, "ente sconosciuto: 'roma'", "non può essere prima di 'from'"),
        ("en-US,en;q=0.9", "unknown tenant 'roma'", "must not be before 'from'"),
    ],
)
async def test_refusals_are_worded_in_the_caller_s_language(
    service: AppFactory,  # noqa: F811
    mail_sink: SmtpServer,
    language: str | None,
    tenant: str,
    backwards: str,
) -> None:
    app = await service(mail_sink.port)
    headers = {"Accept-Language": language} if language else {}
    async with client_for(app) as client:
        unknown = await client.get("/letters", params={"tenant": "roma"}, headers=headers)
        summary = await client.get(
            "/surveys/summary",
            params={"tenant": "pisa", "from": "2026-03-10", "to": "2026-03-01"},
            headers=headers,
        )
    for response, said in ((unknown, tenant), (summary, backwards)):
        assert response.status_code == 422
        assert response.json()["errors"][0]["message"] == said


def test_an_out_of_range_rating_is_said_in_both_languages() -> None:
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    survey = Survey.offer(
        token="t",
        case_id="c",
        tenant="pisa",
        organization=None,
        notification_id=uuid4(),
        offered_at=at,
        expires_at=at + timedelta(days=30),
    )
    with pytest.raises(InvalidRating) as refused:
        survey.answer(7, None, at)
    assert (refused.value.localized("it"), refused.value.localized("en")) == (
        "il voto va da 1 a 5, non 7",
        "rating must be 1 to 5, not 7",
    )
