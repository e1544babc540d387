"""Schemathesis against each service's own OpenAPI: no 5xx, no response outside the schema.

Every service runs as its own process with authentication on; the generated requests carry an
admin token so they reach the handlers (scoping is covered by test_auth.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sportello_devstack.stack import SERVICES, Stack

pytestmark = pytest.mark.e2e
EXAMPLES_PER_OPERATION = 120  # every service has ≥ 9 operations: ≥ 1,000 requests each


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack.on_free_ports(tmp_path_factory.mktemp("fuzz"), auth=True).start()
    yield running
    running.stop()


@pytest.fixture(scope="module", params=SERVICES)
def api_schema(request: pytest.FixtureRequest, stack: Stack) -> schemathesis.BaseSchema:
    # Loaded from the running service: requests go back to where the schema came from.
    return schemathesis.openapi.from_url(f"{stack.url(request.param)}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_request_breaks_a_service(case: schemathesis.Case, stack: Stack) -> None:
    token = stack.issuer.token("admin", subject="fuzzer")
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
