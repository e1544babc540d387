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

from .demo_users import demo_users
from .issuer import DevIssuer
from .mailsink import start_sink
from .stack import SERVICES, SITES, Stack

app = typer.Typer(help="Sportello developer stack", no_args_is_help=True)
console = Console()


@app.command()
def run(
    data_dir: Annotated[Path, typer.Option(help="where stores, mail and logs go")] = Path(".data"),
) -> None:
    """Start nats-server (or use NATS_URL), the mail sink, the four services, the development
    OpenID provider and the staff console."""
    stack = Stack(data_dir.resolve(), auth=True, web=True, nats_users=True)
    console.print("[bold]Starting Sportello…[/bold]")
    try:
        stack.start()
    except Exception as exc:
        stack.stop()
        console.print(f"[red]start-up failed:[/red] {exc} (logs in {data_dir}/*.log)")
        raise typer.Exit(1) from exc
    console.print(f"\n[bold green]Staff console: {stack.url('console')}[/bold green]")
    users = Table("demo user (password: demo)", "who")
    for user in demo_users(Path("deploy/tenants")):
        users.add_row(user.username, user.display_name)
    console.print(users)
    table = Table("service", "URL", "docs")
    table.add_row("console", stack.url("console"), "")
    table.add_row("OpenID provider (dev)", stack.url("oidc"), "")
    for name in SERVICES:
        table.add_row(f"{name}-svc", stack.url(name), f"{stack.url(name)}/docs")
    for name in SITES:
        table.add_row(f"{name} site", stack.url(name), "")
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
def oidc(
    port: Annotated[int, typer.Option()] = 8006,
    data_dir: Annotated[Path, typer.Option(help="where the issuer's keys are")] = Path(".data"),
    tenants_dir: Annotated[Path, typer.Option(envvar="SPORTELLO_TENANTS_DIR")] = Path(
        "deploy/tenants"
    ),
    client: Annotated[
        list[str] | None, typer.Option(help="client_id:secret:base URL (repeatable)")
    ] = None,
) -> None:
    """Run only the development OpenID provider (demo users, password `demo`)."""
    import uvicorn

    from .oidc import Client, create_provider

    clients = []
    for spec in client or ["sportello-console:console-dev-secret:http://127.0.0.1:8000"]:
        client_id, secret, base = spec.split(":", 2)
        clients.append(Client(client_id, secret, (f"{base}/auth/callback",), (f"{base}/uscito",)))
    issuer = DevIssuer(data_dir.resolve() / "auth")
    users = demo_users(tenants_dir)
    provider = create_provider(issuer, users, clients, f"http://127.0.0.1:{port}")
    uvicorn.run(provider, host="127.0.0.1", port=port, log_level="warning")


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


@app.command()
def partner(
    name: Annotated[
        str, typer.Argument(help="partner organization or platform source, e.g. pisamo")
    ],
    tenant: Annotated[str, typer.Option(help="the tenant it works for")] = "pisa",
    data_dir: Annotated[Path, typer.Option(help="where secrets and credentials go")] = Path(
        ".data"
    ),
    nats_dir: Annotated[Path, typer.Option(help="partners.yaml and the server config")] = Path(
        "deploy/nats"
    ),
    nats_url: Annotated[
        str, typer.Option(envvar="NATS_URL", help="the server to create the consumer on")
    ] = "nats://127.0.0.1:4222",
    consumer: Annotated[bool, typer.Option(help="also create the durable consumer")] = True,
) -> None:
    """Credentials for a partner company or platform listed in deploy/nats/partners.yaml, and a
    partner's durable consumer on `cases.<tenant>.<organization>.>` (what `sportello-partners`
    does for operators)."""
    from sportello_shared.partners.cli import ProvisioningFailed, provision

    try:
        provision(
            name,
            tenant,
            data_dir=data_dir,
            nats_dir=nats_dir,
            nats_url=nats_url,
            consumer=consumer,
            say=console.print,
        )
    except ProvisioningFailed as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(exc.exit_code) from exc


@app.command()
def cluster(
    data_dir: Annotated[Path, typer.Option(help="stores, mail and logs")] = Path(".data/cluster"),
    configs: Annotated[Path, typer.Option(help="n1/n2/n3.conf")] = Path("deploy/nats/cluster"),
    replicas: Annotated[int, typer.Option(min=1, help="processes per service")] = 2,
    database_url: Annotated[
        str, typer.Option(envvar="DATABASE_URL", help="PostgreSQL for every service")
    ] = "postgresql://postgres@127.0.0.1:5432/test",
    schema_prefix: Annotated[str, typer.Option(help="schemas are <prefix><service>")] = "cluster_",
) -> None:
    """The production topology, detached: 3 NATS nodes, PostgreSQL, replicas of each service."""
    from .cluster import DEFAULT_NODES, DEFAULT_SERVICE_PORTS, Cluster, NatsCluster, node_name
    from .cluster_pids import write_pid_file

    if (data_dir / "cluster.pids.json").exists():
        console.print(f"[red]already running[/red] ({data_dir}/cluster.pids.json): cluster-down")
        raise typer.Exit(1)
    data_dir.mkdir(parents=True, exist_ok=True)
    nats = NatsCluster.from_configs(
        [configs / f"{node_name(i)}.conf" for i in range(3)], DEFAULT_NODES, data_dir
    )
    running = Cluster(
        data_dir.resolve(),
        nats,
        database_url,
        schema_prefix=schema_prefix,
        replicas=replicas,
        service_ports=DEFAULT_SERVICE_PORTS,
    )
    console.print("[bold]Starting the Sportello cluster…[/bold]")
    try:
        running.start()
    except Exception as exc:
        running.stop()
        console.print(f"[red]start-up failed:[/red] {exc} (logs in {data_dir}/*.log)")
        raise typer.Exit(1) from exc
    write_pid_file(running)
    table = Table("process", "URL")
    for node in nats.nodes:
        table.add_row(f"nats {node.name}", node.url)
    for replica in running.all_replicas():
        table.add_row(replica.name, replica.url)
    table.add_row("mail sink", f"smtp://127.0.0.1:{running.smtp_port} → {running.mail_dir}")
    console.print(table)
    console.print(f"NATS_URL={nats.url}\nLogs: {data_dir}/*.log — `make cluster-down` stops it.")


@app.command("cluster-down")
def cluster_down(
    data_dir: Annotated[Path, typer.Option()] = Path(".data/cluster"),
) -> None:
    """Stop what `cluster` started: services first, then NATS and the mail sink."""
    from .cluster_pids import stop_from_pid_file

    stopped = stop_from_pid_file(data_dir)
    console.print(f"stopped {len(stopped)} processes" if stopped else "no cluster running")
