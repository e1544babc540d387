"""`make bench-quick` in CI: every benchmark runs at reduced size (the figures are not judged)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
    } <= benchmarks
    throughput = next(
        f for (b, _), f in figures.items() if b == "1 intake throughput" and f["baseline"]
    )
    assert throughput["value"] > 0 and throughput["baseline_value"] > 0
    replay = next(f for (b, _), f in figures.items() if b == "3 SLA replay")
    assert replay["value"] > 0 and replay["baseline_value"] > 0
    breaches = [f for (b, _), f in figures.items() if b == "4 breaches" and f["unit"] == "ms"]
    assert len(breaches) == 2 and all(f["value"] >= 0 for f in breaches)
