"""`sportello-partners`: what an operator runs to let a partner company or a platform listed in
deploy/nats/partners.yaml onto the bus: the accounts block (regenerated if partners.yaml changed),
the passwords, the credentials file to hand over, and a partner's durable consumer.

    sportello-partners pisamo --tenant pisa --data-dir /srv/sportello --nats-url nats://…

`make partner NAME=…` runs the same on the development stack (`sportello-dev partner`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .accounts import write_accounts
from .consumers import ensure_consumer
from .credentials import ensure_secrets, secrets_file, write_credentials
from .members import (
    ACCOUNTS_FILE,
    NATS_DIR,
    PARTNERS_FILE,
    SERVICES_PASSWORD,
    SERVICES_USER,
    Partner,
    load_integrations,
)

Say = Callable[[str], None]


class ProvisioningFailed(Exception):
    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def provision(
    name: str,
    tenant: str,
    *,
    data_dir: Path,
    nats_dir: Path = NATS_DIR,
    nats_url: str = "nats://127.0.0.1:4222",
    consumer: bool = True,
    say: Say = print,
) -> Path:
    """Credentials for `name` of `tenant` (and its consumer, for a partner); their path."""
    integrations = load_integrations(nats_dir)
    try:
        member = integrations.find(tenant, name)
    except LookupError as exc:
        raise ProvisioningFailed(f"{exc}: add it to {nats_dir / PARTNERS_FILE} first", 2) from exc
    if write_accounts(integrations, nats_dir):
        say(f"Updated {nats_dir / ACCOUNTS_FILE}: commit it, restart nats-server")
    passwords = ensure_secrets(data_dir, integrations)
    servers = [url.strip() for url in nats_url.split(",") if url.strip()]
    path = write_credentials(data_dir, member, passwords[member.password_variable], servers)
    say(f"Credentials for {member.user}: {path} (hand over privately, never commit)")
    say(f"Server secrets: {secrets_file(data_dir)} (the server's environment)")
    if not consumer or not isinstance(member, Partner):
        return path
    try:
        created = asyncio.run(
            ensure_consumer(servers, SERVICES_USER, passwords[SERVICES_PASSWORD], member)
        )
    except Exception as exc:
        raise ProvisioningFailed(f"cannot create the consumer on {nats_url}: {exc!r}", 1) from exc
    state = "created" if created else "already there, position kept"
    say(f"Consumer {member.consumer} on {member.filter_subject}: {state}")
    return path


def app(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="sportello-partners", description=__doc__.splitlines()[0])
    parser.add_argument("name", help="partner organization or platform source, e.g. pisamo")
    parser.add_argument("--tenant", required=True, help="the tenant it works for")
    parser.add_argument("--data-dir", type=Path, default=Path(".data"), help="secrets go here")
    parser.add_argument("--nats-dir", type=Path, default=NATS_DIR, help="partners.yaml's folder")
    parser.add_argument(
        "--nats-url",
        default=os.environ.get("NATS_URL", "nats://127.0.0.1:4222"),
        help="the servers (comma-separated) to create the consumer on",
    )
    parser.add_argument("--no-consumer", action="store_true", help="credentials only")
    args = parser.parse_args(argv)
    try:
        provision(
            args.name,
            args.tenant,
            data_dir=args.data_dir,
            nats_dir=args.nats_dir,
            nats_url=args.nats_url,
            consumer=not args.no_consumer,
        )
    except ProvisioningFailed as exc:
        print(exc, file=sys.stderr)  # noqa: T201 - the tool's output
        raise SystemExit(exc.exit_code) from exc
