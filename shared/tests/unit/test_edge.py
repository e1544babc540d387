"""The typed edge toolkit: one answer for an unknown tenant, one for a refused field, and the
one failure table of the consumer."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import IntegrityError
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sportello_shared.application import Rejected, RetryLater
from sportello_shared.bus.settling import Settlement, settlement
from sportello_shared.edge import invalid
from sportello_shared.http import _register_problem_handlers
from sportello_shared.tenants import UnknownTenant


def client() -> TestClient:
    app = FastAPI()
    _register_problem_handlers(app, {})

    @app.get("/directory/{tenant}")
    async def by_address(tenant: str) -> None:
        raise UnknownTenant(f"unknown tenant {tenant!r}")

    @app.post("/cases")
    async def by_field(tenant: str) -> None:
        raise UnknownTenant(f"unknown tenant {tenant!r}", field="tenant")

    @app.get("/report")
    async def refused(to: str) -> None:
        invalid("to", f"{to} must not be before from")

    return TestClient(app)


def test_an_unknown_tenant_in_the_address_is_not_found() -> None:
    answer = client().get("/directory/atlantide", headers={"accept-language": "en"})
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == "unknown tenant 'atlantide'"


def test_an_unknown_tenant_named_by_a_field_is_that_field_refused() -> None:
    answer = client().post("/cases", params={"tenant": "atlantide"})
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"field": "tenant", "message": "unknown tenant 'atlantide'"}]
    assert answer.json()["detail"] == "tenant: unknown tenant 'atlantide'"


def test_a_refused_field_reads_like_a_validation_error() -> None:
    answer = client().get("/report", params={"to": "2026-01-01"})
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {"field": "query.to", "message": "2026-01-01 must not be before from"}
    ]


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (Rejected("breaks the contract"), (Settlement.DEAD_LETTER, "breaks the contract")),
        (RetryLater("intake silent"), (Settlement.RETRY, "intake silent")),
        (IntegrityError("duplicate key"), (Settlement.RECHECK, "concurrent write")),
        (KeyError("bug"), (Settlement.RETRY, "KeyError('bug')")),
    ],
)
def test_the_failure_table(failure: Exception, expected: tuple[Settlement, str]) -> None:
    assert settlement(failure) == expected
