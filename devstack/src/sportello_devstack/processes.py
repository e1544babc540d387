"""The child processes of the development stack and the cluster: spawned in their own session
(so one can be SIGKILLed, SIGSTOPped or SIGCONTed alone), signalled, stopped, awaited ready."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

PYCACHE_DIR = Path(tempfile.gettempdir()) / "sportello-pycache"
Process = subprocess.Popen[bytes]


def spawn(
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


def send_signal(process: subprocess.Popen[bytes] | None, signum: int) -> None:
    if process is not None and process.poll() is None:
        process.send_signal(signum)


def terminate(process: subprocess.Popen[bytes] | None, timeout: float = 15.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGCONT)  # a paused process cannot handle SIGTERM
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def python_env() -> dict[str, str]:
    """Compiled modules cached outside the tree (`make` names the cache; else a temporary
    directory): a service's imports take 0.9 s of CPU, not 2.2 s compiling them again where
    PYTHONDONTWRITEBYTECODE is set and the venv holds no bytecode (a clean clone's)."""
    inherited = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return inherited | {
        "PYTHONPYCACHEPREFIX": os.environ.get("PYTHONPYCACHEPREFIX") or str(PYCACHE_DIR)
    }


def script(name: str) -> str:
    return str(Path(sys.executable).parent / name)


_LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy


def answers(url: str) -> bool:
    """The URL answers 200 (a service's /readyz, the OpenID provider's configuration).

    Plain HTTP on the loopback: urllib, not httpx.get, which builds an SSL context (and a
    client) at every call, twenty times a second per process while a stack starts."""
    try:
        with _LOOPBACK.open(url, timeout=2) as response:
            return bool(response.status == 200)
    except (OSError, http.client.HTTPException):  # refused, reset, timed out, 4xx/5xx (HTTPError)
        return False


def wait_ready(
    targets: Sequence[tuple[str, str, Process | None]],
    timeout: float,
    poll: float,
    ready: Callable[[str], bool] = answers,
) -> None:
    """Until every (name, readiness URL, process) answers; fails at once if one of them exits."""
    deadline = time.monotonic() + timeout
    for name, url, process in targets:
        while not ready(url):
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}; see its log")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name} not ready after {timeout}s")
            time.sleep(poll)
