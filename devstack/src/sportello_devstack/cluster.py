"""The production topology on one machine: a 3-node JetStream cluster, PostgreSQL, replicas.

`make cluster` and the fault tests (tests/faults) both use it. Every process is a child started
in its own session, so a test can SIGKILL, SIGSTOP or SIGCONT one node or one replica without
touching the others, and `cluster-down` can stop a detached cluster from its pid file.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from .natsserver import free_port, nats_server_binary, wait_for_port
from .stack import SERVICES

CLUSTER_NAME = "sportello"
# Loopback ports of the checked-in configs (deploy/nats/cluster/n<i>.conf): 1425i/1625i/1825i.
DEFAULT_CLIENT_PORTS = (14251, 14252, 14253)
DEFAULT_ROUTE_PORTS = (16251, 16252, 16253)
DEFAULT_MONITOR_PORTS = (18251, 18252, 18253)
DEFAULT_SERVICE_PORTS = {"intake": 8101, "routing": 8201, "sla": 8301, "notify": 8401}
# Each replica keeps a small pool: a region runs many replicas against one PostgreSQL.
PYCACHE_DIR = Path(tempfile.gettempdir()) / "sportello-pycache"
POOL_ENV = {"POSTGRES_POOL_SIZE": "2", "POSTGRES_MAX_OVERFLOW": "4"}


@dataclass(frozen=True)
class NodePorts:
    client: int
    route: int
    monitor: int

    @classmethod
    def free(cls) -> NodePorts:
        return cls(free_port(), free_port(), free_port())


DEFAULT_NODES = tuple(
    NodePorts(c, r, m)
    for c, r, m in zip(
        DEFAULT_CLIENT_PORTS, DEFAULT_ROUTE_PORTS, DEFAULT_MONITOR_PORTS, strict=True
    )
)


def node_name(index: int) -> str:
    return f"n{index + 1}"


def node_config(index: int, nodes: Sequence[NodePorts], store_dir: str) -> str:
    """One node's nats-server config: fsync before every ack, routes to all three nodes."""
    ports = nodes[index]
    routes = ", ".join(f"nats-route://127.0.0.1:{n.route}" for n in nodes)
    return (
        f"# Sportello JetStream cluster, node {node_name(index)} (see docs/reliability.md)\n"
        f"server_name: {node_name(index)}\n"
        f"listen: 127.0.0.1:{ports.client}\n"
        f"http: 127.0.0.1:{ports.monitor}\n"
        "jetstream {\n"
        f'  store_dir: "{store_dir}"\n'
        "  # Acknowledged means on disk (Jepsen 2025: the 2-minute default loses acked writes).\n"
        "  sync_interval: always\n"
        "}\n"
        "cluster {\n"
        f"  name: {CLUSTER_NAME}\n"
        f"  listen: 127.0.0.1:{ports.route}\n"
        f"  routes: [ {routes} ]\n"
        "}\n"
    )


def _spawn(
    args: Sequence[str], log: Path, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    out = open(log, "ab")  # noqa: SIM115 - the child owns the descriptor from here on
    try:
        return subprocess.Popen(
            list(args),
            env=dict(env) if env is not None else None,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    finally:
        out.close()


def _signal(process: subprocess.Popen[bytes] | None, signum: int) -> None:
    if process is not None and process.poll() is None:
        process.send_signal(signum)


def _terminate(process: subprocess.Popen[bytes] | None, timeout: float = 15.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGCONT)  # a paused process cannot handle SIGTERM
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class NatsNode:
    index: int
    config: Path
    ports: NodePorts
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def name(self) -> str:
        return node_name(self.index)

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.ports.client}"

    def start(self) -> None:
        self.process = _spawn([nats_server_binary(), "-c", str(self.config)], self.log)

    def kill(self) -> None:
        _signal(self.process, signal.SIGKILL)
        if self.process is not None:
            self.process.wait()

    def pause(self) -> None:
        _signal(self.process, signal.SIGSTOP)

    def resume(self) -> None:
        _signal(self.process, signal.SIGCONT)

    def stop(self) -> None:
        _terminate(self.process)

    def jsz(self, **params: str) -> dict[str, Any]:
        response = httpx.get(f"http://127.0.0.1:{self.ports.monitor}/jsz", params=params, timeout=2)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def meta_leader(self) -> str | None:
        try:
            leader = self.jsz().get("meta_cluster", {}).get("leader")
        except httpx.HTTPError:
            return None
        return str(leader) if leader else None

    def is_healthy(self) -> bool:
        """The node's own verdict, JetStream included: streams and consumers are current."""
        try:
            url = f"http://127.0.0.1:{self.ports.monitor}/healthz"
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False


@dataclass
class NatsCluster:
    """Three nats-server nodes with R3-capable JetStream, from configs on disk."""

    nodes: list[NatsNode]

    @classmethod
    def from_configs(
        cls, configs: Sequence[Path], ports: Sequence[NodePorts], log_dir: Path
    ) -> NatsCluster:
        return cls(
            [
                NatsNode(i, config, p, log_dir / f"nats-{node_name(i)}.log")
                for i, (config, p) in enumerate(zip(configs, ports, strict=True))
            ]
        )

    @classmethod
    def on_free_ports(cls, directory: Path) -> NatsCluster:
        """For tests: configs rendered into `directory`, each node with its own store."""
        directory.mkdir(parents=True, exist_ok=True)
        ports = [NodePorts.free() for _ in range(3)]
        configs = []
        for i in range(3):
            config = directory / f"{node_name(i)}.conf"
            config.write_text(
                node_config(i, ports, str(directory / node_name(i))), encoding="utf-8"
            )
            configs.append(config)
        return cls.from_configs(configs, ports, directory)

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    @property
    def url(self) -> str:
        """NATS_URL for the services: every node, comma-separated."""
        return ",".join(self.urls)

    def node(self, name: str) -> NatsNode:
        return next(node for node in self.nodes if node.name == name)

    def start(self, timeout: float = 30.0) -> NatsCluster:
        for node in self.nodes:
            node.start()
        for node in self.nodes:
            wait_for_port(node.ports.client, timeout=timeout)
        self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout: float = 30.0, nodes: Sequence[NatsNode] | None = None) -> None:
        """Every node healthy and agreeing on a JetStream meta leader."""
        deadline = time.monotonic() + timeout
        for node in nodes or self.nodes:
            while not (node.is_healthy() and node.meta_leader()):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"NATS node {node.name} not healthy after {timeout}s")
                time.sleep(0.2)

    def stream_leader(self, stream: str) -> str | None:
        """The node leading `stream`'s Raft group, as any live node reports it."""
        for node in self.nodes:
            if node.process is None or node.process.poll() is not None:
                continue
            try:
                report = node.jsz(streams="true")
            except httpx.HTTPError:
                continue
            for account in report.get("account_details", []):
                for detail in account.get("stream_detail", []):
                    if detail.get("name") == stream:
                        leader = detail.get("cluster", {}).get("leader")
                        if leader:
                            return str(leader)
        return None

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


@dataclass
class Replica:
    service: str
    index: int
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def name(self) -> str:
        return f"{self.service}-{self.index + 1}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Cluster:
    """NATS cluster + PostgreSQL + `replicas` processes of each service + a mail sink."""

    data_dir: Path
    nats: NatsCluster
    database_url: str
    schema_prefix: str = ""
    replicas: int = 2
    service_ports: Mapping[str, int] | None = None
    smtp_port: int = 1025
    extra_env: dict[str, str] = field(default_factory=dict)
    members: dict[str, list[Replica]] = field(default_factory=dict)
    sink: subprocess.Popen[bytes] | None = None

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    def schema(self, service: str) -> str:
        return f"{self.schema_prefix}{service}"

    def start(self, timeout: float = 90.0, staged: bool = True) -> Cluster:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if any(node.process is None for node in self.nats.nodes):
            self.nats.start()
        self.sink = _spawn(
            [
                _script("sportello-dev"),
                "mailsink",
                "--directory",
                str(self.mail_dir),
                "--port",
                str(self.smtp_port),
            ],
            self.data_dir / "mailsink.log",
            python_env(),
        )
        wait_for_port(self.smtp_port, timeout=60)
        for service in SERVICES:
            base = self.service_ports[service] if self.service_ports else None
            self.members[service] = [
                Replica(service, i, base + i if base else free_port()) for i in range(self.replicas)
            ]
        # Waves, because a cold start races (docs/reliability.md, "Findings"): one process creates
        # the R3 streams; then the k-th replica of every service together, so that no two
        # replicas of one service run their DDL (tables, CREATE OR REPLACE FUNCTION) at once.
        ranks = [[r[k] for r in self.members.values()] for k in range(self.replicas)]
        everyone = list(self.all_replicas())
        waves = [ranks[0][:1], ranks[0][1:], *ranks[1:]] if staged else [everyone]
        for wave in waves:
            for replica in wave:
                self.start_replica(replica)
            self.wait_ready(timeout, wave)
        return self

    def env(self, replica: Replica) -> dict[str, str]:
        return {
            **python_env(),
            **POOL_ENV,
            "HTTP_PORT": str(replica.port),
            "NATS_URL": self.nats.url,
            "STREAM_REPLICAS": "3",
            "DATABASE_URL": self.database_url,
            "DATABASE_SCHEMA": self.schema(replica.service),
            "SPORTELLO_DATA_DIR": str(self.data_dir / "shared"),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.smtp_port),
            **self.extra_env,
        }

    def start_replica(self, replica: Replica) -> None:
        replica.process = _spawn(
            [_script(f"sportello-{replica.service}")],
            self.data_dir / f"{replica.name}.log",
            self.env(replica),
        )

    def all_replicas(self) -> Iterator[Replica]:
        for replicas in self.members.values():
            yield from replicas

    def url(self, service: str, index: int = 0) -> str:
        return self.members[service][index].url

    def urls(self, service: str) -> list[str]:
        return [r.url for r in self.members[service]]

    def kill(self, replica: Replica) -> None:
        """SIGKILL: no shutdown hook runs, in-flight work is simply lost by the process."""
        _signal(replica.process, signal.SIGKILL)
        if replica.process is not None:
            replica.process.wait()

    def pause(self, replica: Replica) -> None:
        _signal(replica.process, signal.SIGSTOP)

    def resume(self, replica: Replica) -> None:
        _signal(replica.process, signal.SIGCONT)

    def wait_ready(self, timeout: float = 90.0, replicas: Sequence[Replica] | None = None) -> None:
        deadline = time.monotonic() + timeout
        for replica in replicas or list(self.all_replicas()):
            while not self._ready(replica):
                if replica.process is not None and replica.process.poll() is not None:
                    raise RuntimeError(f"{replica.name} exited with {replica.process.returncode}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{replica.name} not ready after {timeout}s")
                time.sleep(0.2)

    @staticmethod
    def _ready(replica: Replica) -> bool:
        try:
            return httpx.get(f"{replica.url}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        for replica in self.all_replicas():
            _signal(replica.process, signal.SIGCONT)
            _signal(replica.process, signal.SIGTERM)
        for replica in self.all_replicas():
            _terminate(replica.process)
        _terminate(self.sink)
        self.nats.stop()

    def pids(self) -> dict[str, int]:
        processes: dict[str, subprocess.Popen[bytes] | None] = {
            f"nats-{node.name}": node.process for node in self.nats.nodes
        }
        processes["mailsink"] = self.sink
        processes.update({r.name: r.process for r in self.all_replicas()})
        return {name: p.pid for name, p in processes.items() if p is not None}


def python_env() -> dict[str, str]:
    """Compiled modules cached outside the tree: a replica restarts in ~2 s, not ~10 s."""
    inherited = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return inherited | {"PYTHONPYCACHEPREFIX": str(PYCACHE_DIR)}


def _script(name: str) -> str:
    return str(Path(sys.executable).parent / name)


# -- detached operation for `make cluster` / `make cluster-down` ------------------------------

PID_FILE = "cluster.pids.json"


def write_pid_file(cluster: Cluster) -> Path:
    path = cluster.data_dir / PID_FILE
    path.write_text(json.dumps(cluster.pids(), indent=2), encoding="utf-8")
    return path


def stop_from_pid_file(data_dir: Path, timeout: float = 15.0) -> list[str]:
    """SIGTERM what `cluster` started (services, then NATS and sink); SIGKILL stragglers."""
    path = data_dir / PID_FILE
    if not path.exists():
        return []
    pids: dict[str, int] = json.loads(path.read_text(encoding="utf-8"))
    infrastructure = ("nats-", "mailsink")
    services = {n: p for n, p in pids.items() if not n.startswith(infrastructure)}
    others = {n: p for n, p in pids.items() if n.startswith(infrastructure)}
    stopped: list[str] = []
    for group in (services, others):
        # a recycled pid belongs to someone else: only signal our own programs
        ours = {name: pid for name, pid in group.items() if _is_ours(pid)}
        for pid in ours.values():
            _send(pid, signal.SIGCONT)
            _send(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for name, pid in ours.items():
            while _is_ours(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _is_ours(pid):
                _send(pid, signal.SIGKILL)
            stopped.append(name)
    path.unlink()
    return stopped


def _send(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _is_ours(pid: int) -> bool:
    """Alive (not a zombie) and running nats-server or one of our console scripts."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return state != "Z" and (b"nats-server" in cmdline or b"sportello-" in cmdline)
