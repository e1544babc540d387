"""4xx answers in the caller's language, saying what is wrong and where (issue 26)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from fastapi.security import HTTPBearer
from pydantic import BaseModel, Field
from sportello_shared.auth import AuthSettings, Principal, Role, TokenVerifier, denied
from sportello_shared.http import _register_problem_handlers
from sportello_shared.limits import EdgeLimits
from sportello_shared.openapi import document_problems
from sportello_shared.problems import Refusal, language_of


class Case(BaseModel):
    description: str = Field(min_length=3)
    count: int = 0


class Conflict(Exception):
    def localized(self, language: str) -> str:
        return "the case is assigned" if language == "en" else "la pratica è assegnata"

    def problem_extra(self) -> dict[str, Any]:
        return {"possible_steps": ["take-in-charge"]}


def needs_token() -> None:
    raise Refusal(401, it="token non valido", en="invalid token")


def app() -> FastAPI:
    api = FastAPI()

    @api.post("/cases")
    async def register(case: Case) -> dict[str, str]:
        return {"ok": case.description}

    @api.post("/cases/{case_id}/close")
    async def close(case_id: str) -> None:
        raise Conflict(case_id)

    @api.get("/private", dependencies=[Depends(needs_token), Depends(HTTPBearer(auto_error=False))])
    async def private() -> None:
        return None

    api.add_middleware(EdgeLimits, max_body_bytes=200)
    _register_problem_handlers(api, {Conflict: 409})
    document_problems(api)
    return api


async def call(method: str, path: str, **kwargs: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.request(method, path, **kwargs)


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "it"),
        ("en", "en"),
        ("en-GB,en;q=0.9", "en"),
        ("de-DE,de;q=0.9,en;q=0.5", "en"),
        ("fr, it;q=0.2, en;q=0.1", "it"),
        ("en;q=0, it", "it"),
        ("*", "it"),
    ],
)
def test_the_callers_language_by_its_preferences(header: str | None, language: str) -> None:
    assert language_of(header) == language


async def test_a_malformed_json_body_says_where_and_what() -> None:
    body = b'{\n  "description": "buca"\n  "count": 3\n}'
    headers = {"content-type": "application/json"}
    italian = await call("POST", "/cases", content=body, headers=headers)
    assert italian.status_code == 422
    assert italian.headers["content-type"] == "application/problem+json"
    problem = italian.json()
    assert problem["title"] == "Dati non validi"
    assert problem["errors"] == [
        {"field": "body", "message": "JSON non valido alla riga 3, colonna 3: manca una ','"}
    ]
    english = await call(
        "POST", "/cases", content=body, headers=headers | {"accept-language": "en"}
    )
    assert english.json()["detail"] == "body: invalid JSON at line 3, column 3: expected ','"


async def test_field_errors_in_both_languages() -> None:
    italian = await call("POST", "/cases", json={"description": "ok", "count": "tre"})
    assert {e["field"]: e["message"] for e in italian.json()["errors"]} == {
        "description": "troppo corto (almeno 3 caratteri)",
        "count": "deve essere un numero intero",
    }
    english = await call("POST", "/cases", json={}, headers={"accept-language": "en"})
    assert english.json()["errors"] == [{"field": "description", "message": "field required"}]


async def test_a_domain_conflict_says_itself_and_the_possible_steps() -> None:
    response = await call("POST", "/cases/x/close", headers={"accept-language": "en"})
    assert response.status_code == 409 and response.headers["content-language"] == "en"
    assert response.json()["detail"] == "the case is assigned"
    assert response.json()["possible_steps"] == ["take-in-charge"]
    italian = await call("POST", "/cases/x/close")
    assert italian.json()["title"] == "Operazione non possibile in questo stato"


async def test_a_refusal_is_said_in_the_callers_language() -> None:
    response = await call("GET", "/private")
    assert response.status_code == 401 and response.json()["detail"] == "token non valido"
    english = await call("GET", "/private", headers={"accept-language": "en-US"})
    assert english.json()["detail"] == "invalid token"


def test_a_403_names_the_tenant_or_organization_the_token_lacks() -> None:
    office = Principal("anna", frozenset({Role.OFFICE}), "torino", "pm-reparto-5")
    refusal = denied(office, "torino", "pm-reparto-3", acting=True)
    assert refusal.status_code == 403
    assert refusal.localized("en") == (
        "the token (anna, for torino/pm-reparto-5) may not act on torino/pm-reparto-3"
    )
    assert "non consente di operare su torino/pm-reparto-3" in refusal.localized("it")
    assert refusal.problem_extra() == {"tenant": "torino", "organization": "pm-reparto-3"}


async def chunks(size: int) -> AsyncIterator[bytes]:
    yield b'{"description": "'
    for _ in range(size // 50):
        yield b"x" * 50
    yield b'"}'


@pytest.mark.parametrize("language", ["it", "en"])
async def test_a_chunked_body_over_the_limit_gets_413_like_a_declared_one(language: str) -> None:
    headers = {"content-type": "application/json", "accept-language": language}
    streamed = await call("POST", "/cases", content=chunks(1000), headers=headers)
    assert "content-length" not in streamed.request.headers  # really chunked
    declared = await call("POST", "/cases", json={"description": "x" * 1000}, headers=headers)
    for response in (streamed, declared):
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        assert "200" in response.json()["detail"]
    small = await call("POST", "/cases", content=chunks(100), headers=headers)
    assert small.status_code == 200


def test_every_route_documents_its_problems() -> None:
    schema = app().openapi()
    assert "Problem" in schema["components"]["schemas"]
    register = schema["paths"]["/cases"]["post"]["responses"]
    close = schema["paths"]["/cases/{case_id}/close"]["post"]["responses"]
    private = schema["paths"]["/private"]["get"]["responses"]
    assert {"409", "413", "415", "422", "503"} <= set(register) and "404" not in register
    assert "404" in close and {"401", "403"} <= set(private) and "401" not in register
    problem = register["422"]["content"]["application/problem+json"]["schema"]
    assert problem == {"$ref": "#/components/schemas/Problem"}


def test_a_garbage_token_is_said_plainly(issuer: Any) -> None:
    verifier = TokenVerifier(AuthSettings())
    for garbage in ("garbage", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30.x"):
        with pytest.raises(Refusal) as refused:
            verifier.verify(garbage)
        assert refused.value.status_code == 401
        assert refused.value.localized("en") == "invalid token"
        assert refused.value.localized("it") == "token non valido"
    good = issuer.token("operator", "torino")
    assert verifier.verify(good).tenant == "torino"
