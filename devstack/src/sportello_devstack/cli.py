"""`sportello-dev`: the embedded default behind `make run`."""

from __future__ import annotations

import contextlib
import signal
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from .issuer import DevIssuer
from .mailsink import start_sink
from .stack import SERVICES, Stack

app = typer.Typer(help="Sportello developer stack", no_args_is_help=True)
console = Console()


@app.command()
def run(
    data_dir: Annotated[Path, typer.Option(help="where stores, mail and logs go")] = Path(".data"),
) -> None:
    """Start nats-server (or use NATS_URL), the mail sink and the four services."""
    stack = Stack(data_dir.resolve(), auth=True)
    console.print("[bold]Starting Sportello…[/bold]")
    try:
        stack.start()
    except Exception as exc:
        stack.stop()
        console.print(f"[red]start-up failed:[/red] {exc} (logs in {data_dir}/*.log)")
        raise typer.Exit(1) from exc
    table = Table("service", "URL", "docs")
    for name in SERVICES:
        table.add_row(f"{name}-svc", stack.url(name), f"{stack.url(name)}/docs")
    table.add_row("NATS", stack.nats_url, "")
    table.add_row("mail sink", f"smtp://127.0.0.1:{stack.smtp_port}", str(stack.mail_dir))
    console.print(table)
    console.print(f"Logs: {data_dir}/<service>.log — Ctrl-C stops everything.")
    console.print("Ops APIs want a bearer token: make -s token ROLE=operator TENANT=torino")
    _wait_for_interrupt(stack)


def _wait_for_interrupt(stack: Stack) -> None:
    stopping = False

    def request_stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    while not stopping:
        for name, process in stack.processes.items():
            if process.poll() is not None:
                console.print(f"[red]{name}-svc exited ({process.returncode}); see its log[/red]")
                stopping = True
        time.sleep(0.5)
    console.print("Stopping…")
    stack.stop()


@app.command()
def mailsink(
    directory: Annotated[Path, typer.Option()] = Path(".data/mail"),
    port: Annotated[int, typer.Option()] = 1025,
) -> None:
    """Run only the SMTP sink."""
    controller = start_sink(directory, port)
    console.print(f"SMTP sink on 127.0.0.1:{port}, mails in {directory}")
    with contextlib.suppress(KeyboardInterrupt):
        signal.pause()
    controller.stop()


@app.command()
def token(
    role: Annotated[str, typer.Option(help="operator, office, partner, admin or auditor")],
    tenant: Annotated[str | None, typer.Option()] = None,
    organization: Annotated[str | None, typer.Option()] = None,
    subject: Annotated[str | None, typer.Option()] = None,
    data_dir: Annotated[Path, typer.Option()] = Path(".data"),
) -> None:
    """Print a bearer token from the local issuer of `make run`."""
    print(DevIssuer(data_dir.resolve() / "auth").token(role, tenant, organization, subject))  # noqa: T201
