"""A 3-node JetStream cluster on one machine (deploy/nats/cluster): its configs, its nodes."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from .natsserver import free_port, nats_server_binary, wait_for_port
from .processes import send_signal, spawn, terminate

CLUSTER_NAME = "sportello"
# Loopback ports of the checked-in configs (deploy/nats/cluster/n<i>.conf): 1425i/1625i/1825i.
DEFAULT_CLIENT_PORTS = (14251, 14252, 14253)
DEFAULT_ROUTE_PORTS = (16251, 16252, 16253)
DEFAULT_MONITOR_PORTS = (18251, 18252, 18253)


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
        self.process = spawn([nats_server_binary(), "-c", str(self.config)], self.log)

    def kill(self) -> None:
        send_signal(self.process, signal.SIGKILL)
        if self.process is not None:
            self.process.wait()

    def pause(self) -> None:
        send_signal(self.process, signal.SIGSTOP)

    def resume(self) -> None:
        send_signal(self.process, signal.SIGCONT)

    def stop(self) -> None:
        terminate(self.process)

    def jsz(self, **params: str) -> dict[str, Any]:
        response = httpx.get(f"http://127.0.0.1:{self.ports.monitor}/jsz", params=params, timeout=2)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def stream_detail(self, stream: str) -> dict[str, Any] | None:
        """`stream` as this node's own monitoring port reports it (it answers with no leader);
        None when the node does not answer or has no such stream."""
        try:
            report = self.jsz(streams="true")
        except httpx.HTTPError:
            return None
        for account in report.get("account_details", []):
            for detail in account.get("stream_detail", []):
                if detail.get("name") == stream:
                    return dict(detail)
        return None

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
            detail = node.stream_detail(stream)
            if detail and (leader := detail.get("cluster", {}).get("leader")):
                return str(leader)
        return None

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
