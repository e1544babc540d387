"""A cold start: every replica of every service at once, on a fresh cluster and empty schemas.

This is what a `kubectl apply` or `docker compose up` does. Replicas used to race on their DDL
(`CREATE TABLE IF NOT EXISTS`, `CREATE OR REPLACE FUNCTION`) and on creating the R3 streams, and
the losers exited with status 3 (docs/reliability.md, "Findings" 1, fixed in shared/:
`persistence.store_initialisation_lock` and `ensure_streams` retrying). A service must start
without an orchestrator restarting it, so this test starts them all together (`staged=False`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import running_cluster

pytestmark = [pytest.mark.faults, pytest.mark.e2e, pytest.mark.timeout(300)]


def test_all_replicas_started_at_once_become_ready(tmp_path: Path, database_url: str) -> None:
    with running_cluster(tmp_path, database_url, replicas=2, staged=False) as cluster:
        assert all(r.process and r.process.poll() is None for r in cluster.all_replicas())
