"""The production topology on one machine: a 3-node JetStream cluster, PostgreSQL, replicas.

`make cluster` and the fault tests (tests/faults) both use it. Every process is a child started
in its own session, so a test can SIGKILL, SIGSTOP or SIGCONT one node or one replica without
touching the others, and `cluster-down` can stop a detached cluster from its pid file.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .nats_cluster import DEFAULT_NODES, NatsCluster, NatsNode, NodePorts, node_config, node_name
from .natsserver import free_port, wait_for_port
from .processes import PYCACHE_DIR, python_env, script, send_signal, spawn, terminate, wait_ready
from .stack import SERVICES

__all__ = [
    "DEFAULT_NODES", "DEFAULT_SERVICE_PORTS", "PYCACHE_DIR", "Cluster", "NatsCluster", "NatsNode",
    "NodePorts", "Replica", "node_config", "node_name", "python_env",
]  # fmt: skip

DEFAULT_SERVICE_PORTS = {"intake": 8101, "routing": 8201, "sla": 8301, "notify": 8401}
# Each replica keeps a small pool: a region runs many replicas against one PostgreSQL.
POOL_ENV = {"POSTGRES_POOL_SIZE": "2", "POSTGRES_MAX_OVERFLOW": "4"}


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
        self.sink = spawn(
            [
                script("sportello-dev"),
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
        # Waves by default, the gentlest start (docs/reliability.md, "Findings" 1: the cold-start
        # races are fixed in shared/, and tests/faults/test_cold_start.py starts all at once): one
        # process creates the R3 streams, then the k-th replica of every service together.
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
        replica.process = spawn(
            [script(f"sportello-{replica.service}")],
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
        send_signal(replica.process, signal.SIGKILL)
        if replica.process is not None:
            replica.process.wait()

    def pause(self, replica: Replica) -> None:
        send_signal(replica.process, signal.SIGSTOP)

    def resume(self, replica: Replica) -> None:
        send_signal(replica.process, signal.SIGCONT)

    def wait_ready(self, timeout: float = 90.0, replicas: Sequence[Replica] | None = None) -> None:
        targets = [(r.name, f"{r.url}/readyz", r.process) for r in replicas or self.all_replicas()]
        wait_ready(targets, timeout, poll=0.2)

    def stop(self) -> None:
        for replica in self.all_replicas():
            send_signal(replica.process, signal.SIGCONT)
            send_signal(replica.process, signal.SIGTERM)
        for replica in self.all_replicas():
            terminate(replica.process)
        terminate(self.sink)
        self.nats.stop()

    def pids(self) -> dict[str, int]:
        processes: dict[str, subprocess.Popen[bytes] | None] = {
            f"nats-{node.name}": node.process for node in self.nats.nodes
        }
        processes["mailsink"] = self.sink
        processes.update({r.name: r.process for r in self.all_replicas()})
        return {name: p.pid for name, p in processes.items() if p is not None}
