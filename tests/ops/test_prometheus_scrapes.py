"""A real Prometheus (Debian's) against the running services, with the shipped alerts: it
scrapes every service's /metrics under the job names the alerts use, evaluates every rule
without an error, and a service stopped shows as SportelloServiceDown (pending its 2 minutes)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sportello_devstack.stack import SERVICES, Stack, distinct_free_ports
from sportello_devstack.testing import eventually_sync as eventually

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

ALERTS = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "alerts.yaml"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack.on_free_ports(tmp_path_factory.mktemp("scraped-stack")).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def prometheus(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("prometheus")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("prometheus is missing: .ci/run installs Debian's prometheus package")
        pytest.skip("no prometheus here: `make test` installs Debian's prometheus package")
    folder = tmp_path_factory.mktemp("prometheus")
    (folder / "prometheus.yaml").write_text(yaml.safe_dump(scrape_config(stack)))
    (port,) = distinct_free_ports(1)
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={folder / 'prometheus.yaml'}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(folder / "prometheus.log").open("wb"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        eventually(lambda: ready(url), timeout=30)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def scrape_config(stack: Stack) -> dict[str, Any]:
    """deploy/prometheus/prometheus.yaml's jobs, on this stack's ports, every second."""
    return {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(ALERTS)],
        "scrape_configs": [
            {
                "job_name": f"sportello-{name}",
                "static_configs": [{"targets": [stack.url(name).removeprefix("http://")]}],
            }
            for name in SERVICES
        ],
    }


def ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/-/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def api(url: str, path: str) -> Any:
    answer = httpx.get(f"{url}/api/v1/{path}", timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def test_every_service_is_scraped_and_every_rule_evaluates(prometheus: str) -> None:
    def all_up() -> dict[str, str] | None:
        targets = api(prometheus, "targets")["activeTargets"]
        health = {t["labels"]["job"]: t["health"] for t in targets}
        return health if set(health.values()) == {"up"} and len(health) == 4 else None

    assert set(eventually(all_up, timeout=30)) == {f"sportello-{name}" for name in SERVICES}

    def evaluated() -> list[dict[str, Any]] | None:
        rules = [r for group in api(prometheus, "rules")["groups"] for r in group["rules"]]
        return (
            rules
            if rules and all(r.get("lastEvaluation", "").startswith("20") for r in rules)
            else None
        )

    rules = eventually(evaluated, timeout=30)
    shipped = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))["groups"][0]["rules"]
    assert {r["name"] for r in rules} == {r["alert"] for r in shipped}
    assert [(r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"] == []


def test_a_stopped_service_is_seen_down(stack: Stack, prometheus: str) -> None:
    stack.kill("notify")

    def notify_down() -> list[dict[str, Any]] | None:
        alerts = api(prometheus, "alerts")["alerts"]
        down = [a for a in alerts if a["labels"]["alertname"] == "SportelloServiceDown"]
        return down or None

    (alert,) = eventually(notify_down, timeout=30)
    assert (
        alert["labels"]["job"] == "sportello-notify" and alert["labels"]["severity"] == "critical"
    )
    assert alert["state"] == "pending"  # it fires after 2 minutes down, as the rule says
    assert alert["annotations"]["runbook"] == "docs/runbook.md#sportelloservicedown"
