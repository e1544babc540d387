"""The whole system as separate processes: nats-server, mail sink and the four services."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from eventsourcing.cipher import AESCipher
from sportello_shared.partners.service_users import SERVICE_USERS, service_user

from .issuer import DevIssuer
from .mailsink import start_sink
from .natsserver import NatsServer, free_port, wait_for_port
from .open311_keys import ISSUED_FILE, demo_tenants, provision, provision_demo_keys
from .processes import python_env, script, wait_ready

SERVICES = ("intake", "routing", "sla", "notify")
# Web sites: processes of the stack, but no bus, store replicas or fault drills of their own.
SITES = ("public",)
WEB = ("oidc", "console")  # the development OpenID provider and the staff console
DEFAULT_PORTS = {
    "intake": 8001, "routing": 8002, "sla": 8003, "notify": 8004, "public": 8005,
    "console": 8000, "oidc": 8006,
}  # fmt: skip
CONSOLE_CLIENT = ("sportello-console", "console-dev-secret")


@dataclass
class Stack:
    data_dir: Path
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    nats_port: int | None = 4222
    smtp_port: int | None = 1025
    extra_env: dict[str, str] = field(default_factory=dict)
    log_to_files: bool = True
    sites: tuple[str, ...] = SITES  # tests start the sites they drive only
    auth: bool = False
    web: bool = False  # also the development OpenID provider and the console (forces auth)
    # PostgreSQL instead of SQLite: each service in its own schema `<database_schema_prefix>_<name>`
    database_url: str | None = None
    database_schema_prefix: str = "sportello"
    # the shipped deploy/nats configuration: each service connects as its own user, limited to
    # its subjects (sportello_shared.partners.service_users); `make run` uses it, tests may
    nats_users: bool = False
    nats_passwords: dict[str, str] = field(default_factory=dict)
    nats: NatsServer | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    killed: list[str] = field(default_factory=list)  # names that needed SIGKILL at `stop`
    free_ports: bool = False  # ports picked free (tests): another process may take one first

    @classmethod
    def on_free_ports(cls, data_dir: Path, sites: tuple[str, ...] = (), **kwargs: object) -> Stack:
        *ports, smtp = distinct_free_ports(len((*SERVICES, *SITES, *WEB)) + 1)
        return cls(
            data_dir,
            ports=dict(zip((*SERVICES, *SITES, *WEB), ports, strict=True)),
            nats_port=None,
            smtp_port=smtp,
            sites=sites,
            free_ports=True,
            **kwargs,  # type: ignore[arg-type]
        )

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start(self) -> Stack:
        """Every process, until each answers. On ports picked free, a service that found its
        port taken meanwhile (another test's process got there first) makes the whole stack
        start again on fresh ports, at most three times."""
        for attempt in range(1, 4):
            logs = self._log_sizes()
            try:
                return self._start_once()
            except RuntimeError:
                if not self.free_ports or attempt == 3 or not self._port_was_taken(logs):
                    raise
            self.ports = dict(zip(self.ports, distinct_free_ports(len(self.ports)), strict=True))
        raise AssertionError("unreachable")

    def _start_once(self) -> Stack:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        nats_url = os.environ.get("NATS_URL") or self._start_nats()
        self.smtp_port = self.smtp_port or free_port()
        self._sink = start_sink(self.mail_dir, self.smtp_port)
        self.nats_url = nats_url
        try:
            for name in self.names:
                self.start_service(name)
            self.wait_ready()
        except BaseException:
            self.stop()  # never leave half a system running behind a failed start
            raise
        return self

    def _log_sizes(self) -> dict[str, int]:
        logs = {name: self.data_dir / f"{name}.log" for name in self.names}
        return {name: log.stat().st_size for name, log in logs.items() if log.exists()}

    def _port_was_taken(self, since: dict[str, int]) -> bool:
        """Whether a service's log says, after `since`, that its address was in use."""
        for name in self.names:
            log = self.data_dir / f"{name}.log"
            if log.exists():
                with log.open("rb") as file:
                    file.seek(since.get(name, 0))
                    if b"address already in use" in file.read():
                        return True
        return False

    def _start_nats(self) -> str:
        port = self.nats_port
        if port is not None:  # 4222, or the next free one
            port = next((p for p in range(port, port + 100) if not _in_use(p)), None)
        if self.nats_users:
            self.nats = self._configured_nats(port).start()
            return self.nats.url
        self.nats = NatsServer(
            self.data_dir / "nats", port=port, log_file=self.data_dir / "nats.log"
        ).start()
        return self.nats.url

    def _configured_nats(self, port: int | None) -> NatsServer:
        from sportello_shared import partners

        from .partners import ConfiguredNatsServer

        integrations = partners.load_integrations(partners.NATS_DIR)
        self.nats_passwords = partners.ensure_secrets(self.data_dir, integrations)
        return ConfiguredNatsServer(
            partners.NATS_DIR.resolve(),
            self.data_dir / "nats-accounts",
            self.nats_passwords,
            port=port,
            log_file=self.data_dir / "nats.log",
        )

    def nats_user_env(self, name: str) -> dict[str, str]:
        """The service's own NATS user and password, when the stack runs with users."""
        if not self.nats_passwords or name not in {u.name for u in SERVICE_USERS}:
            return {}
        user = service_user(name)
        return {
            "NATS_USER": user.name,
            "NATS_PASSWORD": self.nats_passwords[user.password_variable],
        }

    @property
    def names(self) -> tuple[str, ...]:
        return (*SERVICES, *self.sites, *(WEB if self.web else ()))

    def service_env(self, name: str) -> dict[str, str]:
        return {
            **python_env(),
            "HTTP_PORT": str(self.ports[name]),
            "NATS_URL": self.nats_url,
            "SPORTELLO_DATA_DIR": str(self.data_dir),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.smtp_port),
            "CIPHER_KEY_FILE": str(self.cipher_key_file()),
            # intake reads the tenants' mailboxes from <data dir>/inbox/<tenant>/<mailbox>/new
            "MAILBOX_SOURCE": "maildir",
            "OPEN311_KEYS_FILE": str(provision_demo_keys(self.data_dir)),
            **self.public_site_env(),
            **(self.issuer.env() if self.auth or self.web else {}),
            **(self.console_env() if name == "console" else {}),
            **self.database_env(name),
            **self.nats_user_env(name),
            **self.extra_env,
        }

    def database_env(self, name: str) -> dict[str, str]:
        if self.database_url is None:
            return {}
        schema = f"{self.database_schema_prefix}_{name}"
        return {"DATABASE_URL": self.database_url, "DATABASE_SCHEMA": schema}

    def public_site_env(self) -> dict[str, str]:
        """The citizens' site: its address (for the links mailed), the services it calls, and
        its own platform key per tenant (the issued file; it reads the `public-site` entries)."""
        served = provision(self.data_dir, demo_tenants(), client="public-site")
        return {
            "PUBLIC_SITE_URL": self.url("public"),
            "INTAKE_URL": self.url("intake"),
            "NOTIFY_URL": self.url("notify"),
            "PUBLIC_SITE_KEYS_FILE": str(served.parent / ISSUED_FILE),
        }

    def console_env(self) -> dict[str, str]:
        return {
            **{f"{svc.upper()}_URL": self.url(svc) for svc in SERVICES},
            "CONSOLE_PUBLIC_URL": self.url("console"),
            "OIDC_DISCOVERY_URL": f"{self.url('oidc')}/.well-known/openid-configuration",
            "OIDC_CLIENT_ID": CONSOLE_CLIENT[0],
            "OIDC_CLIENT_SECRET": CONSOLE_CLIENT[1],
        }

    @property
    def issuer(self) -> DevIssuer:
        """The local token issuer: ops APIs want a bearer token when `auth` is on."""
        return DevIssuer(self.data_dir / "auth")

    def cipher_key_file(self) -> Path:
        """The event stores' AES key for this data dir, made at first run, readable by us only."""
        path = self.data_dir / "cipher.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as key_file:
                key_file.write(AESCipher.create_key(32))
        return path

    def start_service(self, name: str) -> None:
        command = [script(f"sportello-{name}")]
        if name == "oidc":
            console = self.url("console")
            command = [
                script("sportello-dev"), "oidc",
                "--port", str(self.ports["oidc"]), "--data-dir", str(self.data_dir),
                "--client", f"{':'.join(CONSOLE_CLIENT)}:{console}",
            ]  # fmt: skip
        out = (
            open(self.data_dir / f"{name}.log", "ab")  # noqa: SIM115
            if self.log_to_files
            else None
        )
        self.processes[name] = subprocess.Popen(
            command, env=self.service_env(name), stdout=out, stderr=out
        )

    def wait_ready(self, timeout: float = 180.0) -> None:
        """Until every service answers /readyz 200; fails at once if one of them exits."""
        targets = [(name, self._readiness_url(name), self.processes[name]) for name in self.names]
        wait_ready(targets, timeout, poll=0.05)

    def _readiness_url(self, name: str) -> str:
        path = "/.well-known/openid-configuration" if name == "oidc" else "/readyz"
        return f"{self.url(name)}{path}"

    def kill(self, name: str) -> None:
        self.processes[name].kill()
        self.processes[name].wait()

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        self.killed = []
        for name, process in self.processes.items():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                self.killed.append(name)  # it ignored SIGTERM for 15 s: a shutdown that hangs
        self.processes.clear()
        if getattr(self, "_sink", None) is not None:
            self._sink.stop()
        if self.nats is not None:
            self.nats.stop()


def distinct_free_ports(count: int) -> list[int]:
    """Distinct: the kernel may hand the same free port out twice in a row (two services on one
    port: one of them never starts, the other answers its requests with 404)."""
    taken: list[int] = []
    while len(taken) < count:
        port = free_port()
        if port not in taken:
            taken.append(port)
    return taken


def _in_use(port: int) -> bool:
    try:
        wait_for_port(port, timeout=0.05)
    except TimeoutError:
        return False
    return True
