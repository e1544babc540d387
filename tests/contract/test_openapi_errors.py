"""Every service's OpenAPI document lists each route's error answers with the Problem schema
(issue 26). The apps are built, not started: no bus or store is touched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sportello_intake.main import IntakeSettings
from sportello_intake.main import build as build_intake
from sportello_notify.main import NotifySettings
from sportello_notify.main import build as build_notify
from sportello_routing.main import RoutingSettings
from sportello_routing.main import build as build_routing
from sportello_sla.main import SlaSettings
from sportello_sla.main import build as build_sla

TENANTS = str(Path(__file__).resolve().parents[2] / "deploy" / "tenants")
PROBLEM = {"$ref": "#/components/schemas/Problem"}


def apps(tmp_path: Path) -> dict[str, FastAPI]:
    common: dict[str, Any] = {"SPORTELLO_TENANTS_DIR": TENANTS, "SPORTELLO_DATA_DIR": str(tmp_path)}
    return {
        "intake": build_intake(IntakeSettings(**common)),  # type: ignore[call-arg]
        "routing": build_routing(RoutingSettings(**common)),  # type: ignore[call-arg]
        "sla": build_sla(SlaSettings(**common)),  # type: ignore[call-arg]
        "notify": build_notify(NotifySettings(**common)),  # type: ignore[call-arg]
    }


@pytest.mark.parametrize("service", ["intake", "routing", "sla", "notify"])
def test_every_route_documents_its_problems(service: str, tmp_path: Path) -> None:
    schema = apps(tmp_path)[service].openapi()
    assert "Problem" in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert {"422", "503"} <= set(responses), (service, method, path)
            if "{" in path:
                assert "404" in responses, (service, method, path)
            if method in ("post", "put", "patch"):
                assert {"413", "415"} <= set(responses), (service, method, path)
            for status in ("422", "503"):
                content = responses[status]["content"]["application/problem+json"]
                assert content["schema"] == PROBLEM, (service, method, path, status)
    cases = schema["paths"].get("/cases/{case_id}", {}).get("get", {}).get("responses", {})
    if service == "intake":
        assert {"401", "403", "404"} <= set(cases)
