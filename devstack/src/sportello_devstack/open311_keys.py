"""Open311 API keys for the embedded default: one per demo tenant, made at first run.

Two files under `<data dir>/open311/`, both readable by us only:
- `issued-keys.json`: the keys in clear, what `make -s open311-key TENANT=torino` prints;
- `api-keys.json`: SHA-256 digests only, what intake-svc reads (`OPEN311_KEYS_FILE`), as a list
  of `{"client", "tenant", "sha256"}` (plus, optionally, the `sees` grant of docs/security.md's
  "Publication"; the demo keys have none: they read what the public reads). A real deployment
  provisions this file the same way, one entry per client platform and tenant, and never hands
  intake a key in clear.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer
from sportello_shared.tenants import load_tenants

DEMO_CLIENT = "demo"
ISSUED_FILE = "issued-keys.json"
SERVED_FILE = "api-keys.json"


def keys_dir(data_dir: Path) -> Path:
    return data_dir / "open311"


def provision(data_dir: Path, tenants: Iterable[str], client: str = DEMO_CLIENT) -> Path:
    """A key for `client` in each tenant that has none yet; the digests file intake reads."""
    directory = keys_dir(data_dir)
    issued = _issued(directory)
    have = {(k["client"], k["tenant"]) for k in issued}
    new = [
        {"client": client, "tenant": t, "key": secrets.token_urlsafe(32)}
        for t in tenants
        if (client, t) not in have
    ]
    served = directory / SERVED_FILE
    if new or not served.exists():
        issued += new
        _write_private(directory / ISSUED_FILE, issued)
        digests = [
            {
                "client": k["client"],
                "tenant": k["tenant"],
                "sha256": hashlib.sha256(k["key"].encode("utf-8")).hexdigest(),
            }
            for k in issued
        ]
        _write_private(served, digests)
    return served


def demo_tenants() -> list[str]:
    """The tenants the services load: `SPORTELLO_TENANTS_DIR`, else deploy/tenants."""
    tenants_dir = Path(os.environ.get("SPORTELLO_TENANTS_DIR") or "deploy/tenants")
    return [tenant.id for tenant in load_tenants(tenants_dir.resolve())]


def provision_demo_keys(data_dir: Path) -> Path:
    return provision(data_dir, demo_tenants())


def key_for(data_dir: Path, tenant: str, client: str = DEMO_CLIENT) -> str | None:
    return next(
        (
            k["key"]
            for k in _issued(keys_dir(data_dir))
            if k["tenant"] == tenant and k["client"] == client
        ),
        None,
    )


def _issued(directory: Path) -> list[dict[str, str]]:
    path = directory / ISSUED_FILE
    if not path.exists():
        return []
    keys: list[dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
    return keys


def _write_private(path: Path, content: object) -> None:
    """Whole or not at all (a reader never sees half a file), mode 0600 from the start."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_suffix(".tmp")
    staging.unlink(missing_ok=True)
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(content, out, indent=2)
    os.replace(staging, path)


app = typer.Typer(add_completion=False)


@app.command()
def main(
    tenant: Annotated[str, typer.Argument(help="e.g. torino")],
    data_dir: Annotated[Path, typer.Option(help="make run's data dir")] = Path(".data"),
) -> None:
    """Print the demo Open311 API key of TENANT (made now if `make run` has not made it yet)."""
    provision_demo_keys(data_dir.resolve())
    key = key_for(data_dir.resolve(), tenant)
    if key is None:
        print(f"no tenant {tenant!r}: one of {', '.join(demo_tenants())}", file=sys.stderr)  # noqa: T201
        raise typer.Exit(2)
    print(key)  # noqa: T201


if __name__ == "__main__":
    app()
