"""Schemathesis against each service's own OpenAPI: no 5xx, no response outside the schema.

Every service runs as its own process with authentication on; the generated requests carry an
admin token so they reach the handlers (scoping is covered by test_auth.py). Each service gets at
least 1,000 generated requests, spread over its operations.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sportello_devstack.stack import SERVICES, Stack

pytestmark = pytest.mark.e2e
REQUESTS_PER_SERVICE = 1000


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack.on_free_ports(tmp_path_factory.mktemp("fuzz"), auth=True).start()
    yield running
    running.stop()


@pytest.mark.timeout(600)  # a thousand requests, on a machine shared with the other workers
@pytest.mark.parametrize("service", SERVICES)
def test_no_generated_request_breaks_a_service(service: str, stack: Stack) -> None:
    url = stack.url(service)
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    # Simple operations run out of distinct inputs early: ask for half as many again.
    per_operation = math.ceil(1.5 * REQUESTS_PER_SERVICE / len(operations))
    authorization = {"Authorization": f"Bearer {stack.issuer.token('admin', subject='fuzzer')}"}
    sent = 0

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=per_operation,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def exercise(case: schemathesis.Case) -> None:
            nonlocal sent
            # A session (and so a connection pool) per request: schemathesis streams responses,
            # and one it leaves unread, finalised by the garbage collector while the shared pool
            # holds its lock, deadlocked the whole run once.
            with requests.Session() as session:
                session.headers.update(authorization)
                response = case.call(base_url=url, session=session, timeout=30)
                sent += 1
                case.validate_response(
                    response, checks=[not_a_server_error, response_schema_conformance]
                )

        exercise()

    assert sent >= REQUESTS_PER_SERVICE, f"only {sent} requests generated for {service}"
    print(f"\n[schemathesis] {service}: {sent} requests, {len(operations)} operations, no 5xx")  # noqa: T201
