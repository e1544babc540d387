"""`sportello-sla`: the server (no argument, as devstack runs it) and `replay`."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import nats
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sportello_shared.persistence import ensure_schema

from .adapters.policy_files import load_catalogue
from .adapters.replaying import ReplayCheck, replay_and_audit, total_messages
from .application import SlaApplication
from .main import SlaSettings, run_server

app = typer.Typer(add_completion=False, help="Sportello sla-svc: service-level clocks.")
console = Console()


@app.callback(invoke_without_command=True)
def main(ctx: typer.Context) -> None:
    """Without a command, run the HTTP service with its consumers, relay and sweep."""
    if ctx.invoked_subcommand is None:
        run_server()


@app.command()
def serve() -> None:
    """Run the HTTP service with its consumers, relay and sweep."""
    run_server()


@app.command()
def replay(
    compare: bool = typer.Option(True, help="compare with the live store's digest"),
) -> None:
    """Rebuild the clocks from the CASES and NOTIFICATIONS streams into a fresh in-memory store,
    report events/s and the digest, and (by default) compare it with the live state's."""
    settings = SlaSettings()
    check = asyncio.run(_replay(settings))
    result, audit = check.result, check.audit
    table = Table(title="sla-svc replay", show_header=False)
    table.add_row("events", f"{result.events} ({result.per_stream})")
    table.add_row("events/s", f"{result.events_per_second}")
    table.add_row("clocks", str(result.clocks))
    table.add_row("as of", result.as_of.isoformat())
    table.add_row("digest", result.digest)
    table.add_row(
        "sla.breached published / runs breached twice",
        f"{audit.published} / {audit.runs_breached_twice}",
    )
    matches = True
    if compare:
        live = _live_digest(settings, result.as_of)
        matches = check.matches(live)
        table.add_row("live digest", f"{live} ({'equal' if matches else 'DIFFERENT'})")
    console.print(table)
    raise typer.Exit(0 if matches else 1)


async def _replay(settings: SlaSettings) -> ReplayCheck:
    nc = await nats.connect(
        servers=settings.nats_servers, inbox_prefix=settings.nats_inbox_prefix, connect_timeout=5
    )
    try:
        js = nc.jetstream(timeout=10)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
            task = progress.add_task("replaying", total=await total_messages(js))
            return await replay_and_audit(
                js,
                load_catalogue(settings.tenants_dir),
                lambda: datetime.now(UTC),
                lambda stream, n: progress.update(task, advance=n, description=stream),
            )
    finally:
        await nc.close()


def _live_digest(settings: SlaSettings, as_of: datetime) -> str:
    ensure_schema(settings)
    # The service may be writing to the same SQLite file right now: wait for its lock.
    env = settings.eventsourcing_env() | {"SQLITE_LOCK_TIMEOUT": "30"}
    live = SlaApplication(load_catalogue(settings.tenants_dir), env=env)
    try:
        return live.board.digest(as_of)
    finally:
        live.close()
