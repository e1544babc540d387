"""`sportello-routing`: serve (the default), and export/import a tenant's routing as YAML.

Export and import talk to a running routing-svc: it owns the store and its single writer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import httpx
import typer
from sportello_shared.http import serve as serve_app

from .main import RoutingSettings, build

app = typer.Typer(help="Sportello routing-svc", invoke_without_command=True, no_args_is_help=False)

Url = Annotated[str, typer.Option(envvar="ROUTING_URL", help="a running routing-svc")]
Token = Annotated[
    str | None, typer.Option(envvar="SPORTELLO_TOKEN", help="bearer token, when auth is on")
]


@app.callback()
def main(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is None:
        serve()


@app.command()
def serve() -> None:
    """Start the service (what `make run` and devstack do, with no arguments)."""
    settings = RoutingSettings()
    serve_app(settings, lambda: build(settings))


@app.command("export")
def export_routing(
    tenant: str,
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
    url: Url = "http://127.0.0.1:8002",
    token: Token = None,
) -> None:
    """Write a tenant's organizations and current rules as YAML (stdout, or --output)."""
    response = httpx.get(f"{url}/routing/{tenant}/export", headers=_auth(token), timeout=30)
    _fail_unless_ok(response)
    if output is None:
        typer.echo(response.text, nl=False)
    else:
        output.write_text(response.text, encoding="utf-8")


@app.command("import")
def import_routing(
    tenant: str,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    actor: Annotated[
        str, typer.Option(help="ignored by the audit, which records the token's subject")
    ] = "ops",
    url: Url = "http://127.0.0.1:8002",
    token: Token = None,
) -> None:
    """Import a YAML document: organizations added or replaced, rules as a new version."""
    response = httpx.post(
        f"{url}/routing/{tenant}/import",
        params={"actor": actor},
        files={"file": (file.name, file.read_bytes(), "application/yaml")},
        headers=_auth(token),
        timeout=30,
    )
    _fail_unless_ok(response)
    result = response.json()
    state = "published as" if result["published"] else "unchanged at"
    typer.echo(f"{tenant}: rules {state} version {result['version']}")
    for warning in result["warnings"]:
        typer.echo(f"warning: {warning['field']}: {warning['message']}", err=True)


def _auth(token: str | None) -> dict[str, str]:
    # the tool speaks English (its own messages, its --help): the service's refusals too
    headers = {"accept-language": "en"}
    return {**headers, "authorization": f"Bearer {token}"} if token else headers


def _fail_unless_ok(response: httpx.Response) -> None:
    if response.is_success:
        return
    try:
        body = response.json()
        typer.echo(f"{body.get('title')}: {body.get('detail')}", err=True)
        for error in body.get("errors", []):
            typer.echo(f"  {error['field']}: {error['message']}", err=True)
    except ValueError:
        typer.echo(f"HTTP {response.status_code}: {response.text}", err=True)
    raise typer.Exit(code=1)
