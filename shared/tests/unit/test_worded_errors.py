"""A validator's or a handler's own refusal (not pydantic's standard ones) in the caller's
language too: Italian by default, English when asked (issue 26)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, field_validator
from sportello_shared.http import _register_problem_handlers
from sportello_shared.problems import invalid_input
from sportello_shared.worded import Worded


class Rule(BaseModel):
    keyword: str

    @field_validator("keyword")
    @classmethod
    def _not_blank(cls, keyword: str) -> str:
        if not keyword.strip():
            raise Worded("a keyword cannot be blank", it="una parola chiave non può essere vuota")
        return keyword


class Unavailable(Worded):
    pass


def app() -> FastAPI:
    api = FastAPI()

    @api.post("/rules")
    async def publish(rule: Rule) -> dict[str, str]:
        return {"ok": rule.keyword}

    @api.get("/report")
    async def report(start: int, end: int) -> dict[str, int]:
        if end < start:
            raise invalid_input(
                "query", "end", it="non può essere prima di start", en="must not be before start"
            )
        return {"days": end - start}

    @api.post("/reassign")
    async def reassign() -> None:
        raise Unavailable("'x' takes no cases", it="'x' non riceve pratiche")

    _register_problem_handlers(api, {Unavailable: 422})
    return api


async def call(method: str, path: str, language: str | None, **kwargs: Any) -> httpx.Response:
    headers = {"Accept-Language": language} if language else {}
    transport = httpx.ASGITransport(app=app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.request(method, path, headers=headers, **kwargs)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            None,
            (
                "una parola chiave non può essere vuota",
                "non può essere prima di start",
                "'x' non riceve pratiche",
            ),
        ),
        (
            "it-IT,it;q=0.9",
            (
                "una parola chiave non può essere vuota",
                "non può essere prima di start",
                "'x' non riceve pratiche",
            ),
        ),
        (
            "en-GB,en;q=0.8",
            ("a keyword cannot be blank", "must not be before start", "'x' takes no cases"),
        ),
    ],
)
async def test_own_refusals_are_said_in_the_caller_s_language(
    language: str | None, expected: tuple[str, str, str]
) -> None:
    blank = await call("POST", "/rules", language, json={"keyword": "  "})
    backwards = await call("GET", "/report?start=5&end=1", language)
    unavailable = await call("POST", "/reassign", language)
    for response in (blank, backwards, unavailable):
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
    assert blank.json()["errors"] == [{"field": "keyword", "message": expected[0]}]
    assert backwards.json()["errors"] == [{"field": "query.end", "message": expected[1]}]
    assert unavailable.json()["detail"] == expected[2]
    assert "Value error" not in blank.text


def test_a_worded_error_is_still_a_value_error_in_english() -> None:
    error = Worded("too late", it="troppo tardi")
    assert isinstance(error, ValueError) and str(error) == "too late"
    assert (error.localized("it"), error.localized("en"), error.localized("de")) == (
        "troppo tardi",
        "too late",
        "troppo tardi",
    )
