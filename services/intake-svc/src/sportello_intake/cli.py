"""`sportello-intake`: the server (no argument, as devstack runs it) and `erase`."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import httpx
import typer
from rich.console import Console
from rich.table import Table

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
