"""SIGKILL of intake while it takes in 200 voicemails: after a restart every message is one
case, none twice (the message leaves new/ only after its case is committed)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sportello_devstack import mail_corpus as corpus
from sportello_devstack.natsserver import free_port
from sportello_devstack.testing import eventually_sync as eventually

from .conftest import ROOT

MESSAGES = 200


def start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = open(log, "ab")  # noqa: SIM115
    command = [str(Path(sys.executable).parent / "sportello-intake")]
    return subprocess.Popen(command, env=env, stdout=out, stderr=out)


def ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def all_cases(url: str) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    while True:
        page = httpx.get(
            f"{url}/cases", params={"tenant": "torino", "limit": 200, "offset": len(rows)}
        ).json()
        rows += page["items"]
        if len(rows) >= page["total"] or not page["items"]:
            return rows


def test_sigkill_while_taking_in_200_messages(
    store: dict[str, str], nats_url: str, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    inbox = tmp_path / "inbox"
    env = {
        **os.environ,
        **store,
        "HTTP_PORT": str(port),
        "NATS_URL": nats_url,
        "SPORTELLO_TENANTS_DIR": str(ROOT / "deploy" / "tenants"),
        "MAILBOX_SOURCE": "maildir",
        "INBOX_DIR": str(inbox),
    }
    intake = start(env, tmp_path / "intake.log")
    try:
        eventually(lambda: ready(url), timeout=60)
        box = inbox / "torino" / "voicemail"
        # ready answers before every mailbox reader has opened (created) its Maildir
        eventually(lambda: all((box / sub).is_dir() for sub in ("tmp", "new", "cur")), timeout=60)
        for n in range(MESSAGES):
            name = f"{1700000000 + n}.M{n}P1.pbx"
            message = corpus.asterisk_voicemail(f"33300{n:05d}", f"Chiamante {n}")
            (box / "tmp" / name).write_bytes(message)
        for name in sorted(os.listdir(box / "tmp")):
            os.rename(box / "tmp" / name, box / "new" / name)
        eventually(lambda: len(os.listdir(box / "cur")) >= 20, timeout=60)
        intake.send_signal(signal.SIGKILL)
        intake.wait()
        taken_before_kill = len(os.listdir(box / "cur"))
        left = len(os.listdir(box / "new"))

        intake = start(env, tmp_path / "intake.log")
        eventually(lambda: ready(url), timeout=60)
        eventually(lambda: not os.listdir(box / "new"), timeout=120)
        eventually(lambda: len(all_cases(url)) >= MESSAGES, timeout=60)
        time.sleep(1)  # anything registered twice would show by now
        cases = all_cases(url)
    finally:
        intake.send_signal(signal.SIGTERM)
        intake.wait(timeout=30)
    counts = (
        f"{MESSAGES} messages; killed with {taken_before_kill} in cur/ and {left} in new/; "
        f"after restart {len(os.listdir(box / 'cur'))} in cur/, {len(cases)} cases, "
        f"{len({c['case_id'] for c in cases})} distinct"
    )
    print(counts)  # noqa: T201 (the figure the issue asks for)
    assert 0 < left < MESSAGES, counts  # the kill did land in the middle
    assert len(cases) == MESSAGES, counts
    assert len({c["case_id"] for c in cases}) == MESSAGES, counts
    assert len(os.listdir(box / "cur")) == MESSAGES, counts
    assert not os.listdir(box / "quarantine"), counts


pytestmark = pytest.mark.timeout(300)
