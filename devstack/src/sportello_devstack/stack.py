"""The whole system as separate processes: nats-server, mail sink and the four services."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from eventsourcing.cipher import AESCipher

from .issuer import DevIssuer
from .mailsink import start_sink
from .natsserver import NatsServer, free_port, wait_for_port
from .open311_keys import provision_demo_keys

SERVICES = ("intake", "routing", "sla", "notify")
DEFAULT_PORTS = {"intake": 8001, "routing": 8002, "sla": 8003, "notify": 8004}


@dataclass
class Stack:
    data_dir: Path
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    nats_port: int | None = 4222
    smtp_port: int | None = 1025
    extra_env: dict[str, str] = field(default_factory=dict)
    log_to_files: bool = True
    auth: bool = False
    nats: NatsServer | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @classmethod
    def on_free_ports(cls, data_dir: Path, **kwargs: object) -> Stack:
        ports = {name: free_port() for name in SERVICES}
        return cls(data_dir, ports=ports, nats_port=None, smtp_port=free_port(), **kwargs)  # type: ignore[arg-type]

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start(self) -> Stack:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        nats_url = os.environ.get("NATS_URL") or self._start_nats()
        self.smtp_port = self.smtp_port or free_port()
        self._sink = start_sink(self.mail_dir, self.smtp_port)
        self.nats_url = nats_url
        try:
            for name in SERVICES:
                self.start_service(name)
            self.wait_ready()
        except BaseException:
            self.stop()  # never leave half a system running behind a failed start
            raise
        return self

    def _start_nats(self) -> str:
        port = self.nats_port
        if port is not None:  # 4222, or the next free one
            port = next((p for p in range(port, port + 100) if not _in_use(p)), None)
        self.nats = NatsServer(
            self.data_dir / "nats", port=port, log_file=self.data_dir / "nats.log"
        ).start()
        return self.nats.url

    def service_env(self, name: str) -> dict[str, str]:
        return {
            **os.environ,
            "HTTP_PORT": str(self.ports[name]),
            "NATS_URL": self.nats_url,
            "SPORTELLO_DATA_DIR": str(self.data_dir),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.smtp_port),
            "CIPHER_KEY_FILE": str(self.cipher_key_file()),
            "OPEN311_KEYS_FILE": str(provision_demo_keys(self.data_dir)),
            **(self.issuer.env() if self.auth else {}),
            **self.extra_env,
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
        executable = Path(sys.executable).parent / f"sportello-{name}"
        out = (
            open(self.data_dir / f"{name}.log", "ab")  # noqa: SIM115
            if self.log_to_files
            else None
        )
        self.processes[name] = subprocess.Popen(
            [str(executable)], env=self.service_env(name), stdout=out, stderr=out
        )

    def wait_ready(self, timeout: float = 180.0) -> None:
        """Until every service answers /readyz 200; fails at once if one of them exits."""
        deadline = time.monotonic() + timeout
        for name in SERVICES:
            while not self._ready(name):
                process = self.processes[name]
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode}; see its log")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name} not ready after {timeout}s")
                time.sleep(0.05)

    def _ready(self, name: str) -> bool:
        try:
            return httpx.get(f"{self.url(name)}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self, name: str) -> None:
        self.processes[name].kill()
        self.processes[name].wait()

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()
        if getattr(self, "_sink", None) is not None:
            self._sink.stop()
        if self.nats is not None:
            self.nats.stop()


def _in_use(port: int) -> bool:
    try:
        wait_for_port(port, timeout=0.05)
    except TimeoutError:
        return False
    return True
