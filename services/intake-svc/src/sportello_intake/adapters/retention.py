"""The retention schedule: every `RETENTION_INTERVAL` seconds (0: never), one replica (a lease)
erases the personal data every tenant's policy says was kept long enough; counted in /metrics."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import structlog
from prometheus_client import Counter, Gauge

from ..retention import RetentionRun, aged_out, erase_citizen_of, months_before

if TYPE_CHECKING:
    from sportello_shared.runtime import Runtime
    from sportello_shared.tenants import Tenant

    from ..application import IntakeApplication

log = structlog.get_logger()

ERASED = Counter(
    "sportello_retention_erased_cases_total",
    "Cases whose personal data the retention erased",
    ["tenant"],
)
DEFERRED = Gauge(
    "sportello_retention_deferred_cases",
    "Aged-out cases the last run kept: the citizen has a case open or closed too recently",
    ["tenant"],
)
LAST_RUN = Gauge(
    "sportello_retention_last_run_timestamp_seconds", "When the retention last ran", ["tenant"]
)


async def apply_retention(runtime: Runtime[IntakeApplication], stop: asyncio.Event) -> None:
    """A round now, then one every interval; the lease is held during a round only (one
    replica at a time erases, and no connection is kept for it in between)."""
    interval = runtime.settings.retention_interval  # type: ignore[attr-defined]
    while not stop.is_set():
        if interval > 0:
            lease = runtime.lease("retention")
            await lease.acquire()
            try:
                for tenant in runtime.app.tenants:
                    await _run(runtime, tenant)
            finally:
                await lease.release()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval if interval > 0 else None)


async def _run(runtime: Runtime[IntakeApplication], tenant: Tenant) -> None:
    """Find off the writer thread (reads), erase on it, one citizen at a time."""
    now = datetime.now(UTC)
    run = RetentionRun(tenant.id, months_before(now, tenant.privacy.retention.months))
    for case in await asyncio.to_thread(aged_out, runtime.app, tenant, run.cutoff):
        await runtime.writer.call(erase_citizen_of, runtime.app, case, run)
    _report(run, now)


def _report(run: RetentionRun, now: datetime) -> None:
    ERASED.labels(run.tenant).inc(len(run.erased))
    DEFERRED.labels(run.tenant).set(len(run.deferred))
    LAST_RUN.labels(run.tenant).set(now.timestamp())
    if run.erased or run.deferred:
        log.info(
            "retention.ran",
            tenant=run.tenant,
            cutoff=run.cutoff.isoformat(),
            erased=run.erased,
            deferred=run.deferred,
        )
