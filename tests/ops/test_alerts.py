"""The alerts an ops team gets (deploy/prometheus): checked and unit-tested by Prometheus's own
promtool; every metric they read is one the services export; every alert has its section in
docs/runbook.md."""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
RUNBOOK = ROOT / "docs" / "runbook.md"
SERVICES = ("sportello_intake", "sportello_routing", "sportello_sla", "sportello_notify")
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load((PROMETHEUS / "alerts.yaml").read_text(encoding="utf-8"))["groups"]
    return [rule for group in groups for rule in group["rules"]]


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    found = shutil.which("promtool")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("promtool is missing: .ci/run installs Debian's prometheus package")
        pytest.skip("no promtool here: `make test` installs Debian's prometheus package")
    return subprocess.run([found, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_promtool_checks_the_scrape_config_and_its_rules() -> None:
    checked = promtool("check", "config", "prometheus.yaml", cwd=PROMETHEUS)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"{len(rules())} rules found" in checked.stdout


def test_promtool_unit_tests_fire_every_alert() -> None:
    tested = promtool("test", "rules", "alerts_test.yaml", cwd=Path(__file__).parent)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    cases = yaml.safe_load((Path(__file__).parent / "alerts_test.yaml").read_text())["tests"]
    fired = {
        check["alertname"]
        for case in cases
        for check in case["alert_rule_test"]
        if check["exp_alerts"]
    }
    assert fired == {rule["alert"] for rule in rules()}


def exported_metrics() -> set[str]:
    """The sample names the four services' /metrics can carry (their modules register them)."""
    for service in SERVICES:
        importlib.import_module(f"{service}.main")
    names = set()
    for family in REGISTRY.collect():
        names |= {family.name + suffix for suffix in SUFFIXES.get(family.type, ("",))}
    return names


def test_every_metric_an_alert_reads_is_exported() -> None:
    exported = exported_metrics()
    for rule in rules():
        read = set(re.findall(r"\b(sportello_[a-z_]+)\b", rule["expr"]))
        if not read:  # Prometheus's own `up` of the services' scrape jobs
            assert rule["expr"].startswith('up{job=~"sportello-'), rule["alert"]
        assert read <= exported, (rule["alert"], read - exported)


def test_every_alert_says_what_and_links_its_runbook_section() -> None:
    headings = re.findall(r"^## (\S+)$", RUNBOOK.read_text(encoding="utf-8"), re.MULTILINE)
    for rule in rules():
        name = rule["alert"]
        assert rule["labels"]["severity"] in ("critical", "warning"), name
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], name
        assert rule["annotations"]["runbook"] == f"docs/runbook.md#{name.lower()}"
        assert name in headings, f"docs/runbook.md has no section for {name}"
    assert sorted(headings) == sorted(rule["alert"] for rule in rules())
