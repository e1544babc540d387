"""`sportello-intake`: the server (no argument, as devstack runs it), `erase` and `restream`."""

from __future__ import annotations

import asyncio
from typing import Annotated
from uuid import UUID

import httpx
import nats
import typer
from rich.console import Console
from rich.table import Table

from .adapters.restreaming import RestreamReport, restream
from .main import run_server

app = typer.Typer(add_completion=False, help="Sportello intake-svc: the case file of record.")
console = Console()


@app.callback(invoke_without_command=True)
def main(ctx: typer.Context) -> None:
    """Without a command, run the HTTP service with its consumers and relay."""
    if ctx.invoked_subcommand is None:
        run_server()


@app.command()
def erase(
    case_id: Annotated[UUID | None, typer.Option(help="the citizen of this case")] = None,
    email: Annotated[str | None, typer.Option(help="the citizen's e-mail address")] = None,
    phone: Annotated[str | None, typer.Option(help="the citizen's phone number")] = None,
    url: Annotated[str, typer.Option(help="intake-svc's base URL")] = "http://127.0.0.1:8001",
    token: Annotated[
        str | None, typer.Option(envvar="SPORTELLO_TOKEN", help="an admin bearer token")
    ] = None,
) -> None:
    """Erase a citizen's personal data on every case of theirs (right to be forgotten).

    Goes through the running service (its single writer), as an `admin`: the erasure is
    recorded on each case with the token's subject and published to the other services.
    """
    body = {
        k: v
        for k, v in {"case_id": case_id and str(case_id), "email": email, "phone": phone}.items()
        if v
    }
    if not body:
        raise typer.BadParameter("name the citizen: --case-id, --email or --phone")
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(
        f"{url.rstrip('/')}/admin/erasures", json=body, headers=headers, timeout=30
    )
    if response.is_error:
        detail = response.json().get("detail", response.text) if response.content else ""
        console.print(f"[red]{response.status_code}[/red] {detail}")
        raise typer.Exit(1)
    report = response.json()
    table = Table(title=f"erased at {report['erased_at']}", show_header=True)
    for column in ("reference", "tenant", "case_id"):
        table.add_column(column)
    for case in report["cases"]:
        table.add_row(case["reference"], case["tenant"], case["case_id"])
    console.print(table)
    console.print(f"data keys deleted: {report['data_keys_deleted']}")


@app.command(name="restream")
def restream_command(
    nats_url: Annotated[
        str, typer.Option(envvar="NATS_URL", help="the services' NATS (credentials in the URL)")
    ] = "nats://127.0.0.1:4222",
) -> None:
    """Rewrite the CASES messages published before the events lost their personal data.

    v1 `case.received`/`case.handed_over` (citizen, description), the office's v1 events (their
    free text) and `case.assigned` quoting an operator: each is republished in today's form
    (same event id, so consumers see it once) and the old message deleted. Safe to run again.
    """
    report = asyncio.run(_restream(nats_url))
    console.print(
        f"read {report.read}, republished {report.republished}, deleted {report.deleted}, "
        f"unreadable {report.unreadable}"
    )
    for event_type, count in sorted(report.by_type.items()):
        console.print(f"  {event_type}: {count}")


async def _restream(nats_url: str) -> RestreamReport:
    nc = await nats.connect(servers=[u.strip() for u in nats_url.split(",")], connect_timeout=5)
    try:
        return await restream(nc.jetstream(timeout=10))
    finally:
        await nc.close()
