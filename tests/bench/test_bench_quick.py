"""`make bench-quick` in CI: every benchmark runs at reduced size (the figures are not judged)."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[2]
pytestmark = pytest.mark.e2e


@pytest.mark.timeout(600)
def test_every_benchmark_runs_and_reports_its_baseline() -> None:
    subprocess.run([sys.executable, "-m", "bench", "--quick"], cwd=ROOT, check=True, timeout=600)
    results = json.loads((ROOT / "bench" / "results" / "quick.json").read_text())
    figures = {(f["benchmark"], f["figure"]): f for f in results["figures"]}
    benchmarks = {benchmark for benchmark, _ in figures}
    assert {
        "1 intake throughput",
        "2 end-to-end latency",
        "3 SLA replay",
        "4 breaches",
        "5 start-up",
        "6 whole system",
    } <= benchmarks
    for figure in figures.values():
        assert_plausible(figure)
    by_name = {name: f["value"] for (_, name), f in figures.items()}
    startup = next(v for name, v in by_name.items() if name.startswith("stack to"))
    assert 0.2 < startup < 120, f"start-up {startup} s"
    throughput = next(
        f for (b, _), f in figures.items() if b == "1 intake throughput" and f["baseline"]
    )
    # A real HTTP round trip through the store: more than a handful a second, and no faster
    # than the bare database could ever commit (grouped commits may beat one row a commit).
    insert = next(v for name, v in by_name.items() if name.startswith("plain INSERT"))
    assert 5 < throughput["value"] < 50 * insert, throughput
    assert 1 < throughput["baseline_value"] < insert * 2, throughput
    embedded = next(v for name, v in by_name.items() if "embedded default (SQLite)" in name)
    assert 5 < embedded < 100_000, embedded  # a real round trip through SQLite's synced commits
    replay = next(f for (b, _), f in figures.items() if b == "3 SLA replay")
    assert 100 < replay["value"] < replay["baseline_value"] * 2, replay
    breaches = [f for (b, _), f in figures.items() if b == "4 breaches" and f["unit"] == "ms"]
    p50, p99 = sorted(f["value"] for f in breaches)
    assert len(breaches) == 2 and 0 <= p50 <= p99 < 60_000, breaches
    memory = next(f for (b, _), f in figures.items() if b == "4 breaches" and f["unit"] == "MB")
    assert 20 < memory["value"] < 4_000, memory
    for latency in (f for (b, _), f in figures.items() if b == "2 end-to-end latency"):
        if latency["unit"] != "ms p99":
            continue
        p50_ms, p95_ms = (int(n) for n in re.findall(r"p(?:50|95) (\d+) ms", latency["figure"]))
        # the label's percentiles are rounded to the millisecond
        assert 0 < p50_ms <= p95_ms <= latency["value"] + 1 < 300_000, latency
    assert_whole_system_plausible([f for (b, _), f in figures.items() if b == "6 whole system"])


def assert_whole_system_plausible(figures: list[dict[str, Any]]) -> None:
    """CPU per case is the sum of its parts, each measured; capacity below the bare database."""
    [cpu] = [f for f in figures if f["unit"] == "ms/case"]
    parts = dict(re.findall(r"(\w+) (\d+\.\d)", cpu["figure"].split("(", 1)[1]))
    assert set(parts) >= {"intake", "routing", "sla", "notify", "nats", "postgres"}, cpu
    assert all(float(ms) > 0 for ms in parts.values()), cpu
    assert sum(float(ms) for ms in parts.values()) == pytest.approx(cpu["value"], abs=0.5), cpu
    assert 0.5 < cpu["value"] < 5_000, cpu  # a case costs something, and less than 5 s of CPU
    [capacity] = [f for f in figures if f["unit"] == "cases/s"]
    assert 1 < capacity["value"] < capacity["baseline_value"], capacity
    [latency] = [f for f in figures if f["unit"] == "ms p99"]
    p50 = int(re.search(r"p50 (\d+) ms", latency["figure"]).group(1))  # type: ignore[union-attr]
    assert 0 < p50 <= latency["value"] + 1 < 600_000, latency


def assert_plausible(figure: dict[str, Any]) -> None:
    """A number that was measured: finite, not negative, and consistent with its baseline."""
    value = figure["value"]
    assert isinstance(value, int | float) and math.isfinite(value) and value >= 0, figure
    if figure["baseline"]:
        assert figure["baseline_value"] > 0, figure
        assert figure["ratio"] == pytest.approx(value / figure["baseline_value"], rel=1e-6)
