"""sla-svc's mutating routes: none takes an actor from the request.

The routes that record a person's command (the anomaly register, a report's publication) take
it from the token: tests/integration/test_annual.py proves the recorded actor is the token's
subject. The list of mutating routes is pinned, so a new one comes with its own proof.
"""

from __future__ import annotations

from pathlib import Path

from sportello_sla.main import SlaSettings, build

ROOT = Path(__file__).parents[4]
WITHOUT_ACTOR = {
    ("POST", "/admin/dlq/{sequence}/redrive"): "republishes a message, records no command",
    ("POST", "/admin/replay"): "rebuilds clocks in memory and compares digests",
    ("POST", "/deadlines/compute"): "computes a deadline, stores nothing",
}
RECORDING_THE_TOKEN_SUBJECT = {
    ("POST", "/anomalies"),
    ("PUT", "/anomalies/{anomaly_id}/cause"),
    ("POST", "/anomalies/{anomaly_id}/actions"),
    ("PATCH", "/anomalies/{anomaly_id}/actions/{number}"),
    ("POST", "/anomalies/{anomaly_id}/end"),
    ("POST", "/reports/annual/publication"),
}


def test_no_mutating_route_records_an_actor() -> None:
    settings = SlaSettings(  # type: ignore[call-arg]
        NATS_URL="nats://127.0.0.1:1", SPORTELLO_TENANTS_DIR=str(ROOT / "deploy" / "tenants")
    )
    paths = build(settings).openapi()["paths"]
    mutating = {
        (method.upper(), path)
        for path, operations in paths.items()
        for method, operation in operations.items()
        if method.upper() in {"POST", "PUT", "PATCH", "DELETE"}
    }
    assert mutating == set(WITHOUT_ACTOR) | RECORDING_THE_TOKEN_SUBJECT
    for method, path in mutating:
        schema = str(paths[path][method.lower()])  # its query parameters, its inline body
        assert "'actor'" not in schema, (method, path)
