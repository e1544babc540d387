"""Detached operation for `make cluster` / `make cluster-down`: the pid file of what was started,
and stopping it from there (only our own programs: a recycled pid belongs to someone else)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from pathlib import Path

from .cluster import Cluster

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
