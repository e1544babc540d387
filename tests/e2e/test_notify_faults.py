"""notify-svc killed with SIGKILL at random moments while 200 cases are taken in charge and closed.

Afterwards every citizen has exactly one "presa in carico" and one closing message, counted by
distinct Message-ID. The one window SMTP cannot close (a kill between the server's 250 and the
commit of `mark_sent`, see sportello_notify/adapters/dispatcher.py) resends a message with the
same Message-ID: the raw deliveries and those duplicates are printed, never hidden.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import httpx
import pytest
from sportello_devstack.mailsink import read_mails
from sportello_devstack.stack import Stack

pytestmark = pytest.mark.e2e

CASES = 200
KILLS = 8  # each kill costs the in-flight messages one delivery of max_deliver=10
TRIGGERS = {"presa in carico": "taken_in_charge", "chiusa": "closed", "ricevuta": "received"}
LANES = 4  # notify's DISPATCH_CONCURRENCY here: messages in the provider's hands at one time


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    running = Stack.on_free_ports(
        tmp_path / "stack",
        extra_env={
            "RELAY_POLL_INTERVAL": "0.05",
            "DISPATCH_POLL_INTERVAL": "0.2",
            "SMTP_RETRY_BASE": "0.2",
            "DISPATCH_CONCURRENCY": str(LANES),
        },
    ).start()
    yield running
    running.stop()


def citizen(i: int) -> str:
    return f"cittadino.{i:03d}@example.org"


def until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not after {timeout}s")
        time.sleep(0.5)
    return result


def register(client: httpx.Client, i: int) -> str:
    response = client.post(
        "/cases",
        json={
            "tenant": "torino",
            "kind": "segnalazione",
            "channel": "web",
            "category": "decoro_pulizia",
            "description": f"Rifiuti abbandonati in via Po {i}",
            "citizen": {"name": f"Cittadino {i}", "email": citizen(i)},
        },
    )
    assert response.status_code == 201, response.text
    case_id: str = response.json()["case_id"]
    return case_id


def act(client: httpx.Client, case_id: str, step: str, body: dict[str, str]) -> None:
    """Retries while routing has not assigned the case yet (409 from intake)."""
    deadline = time.monotonic() + 60
    while (response := client.post(f"/cases/{case_id}/{step}", json=body)).status_code == 409:
        assert time.monotonic() < deadline, response.text
        time.sleep(0.2)
    assert response.status_code == 200, response.text


def take_in_charge_and_close(stack: Stack, case_id: str) -> None:
    with httpx.Client(base_url=stack.url("intake"), timeout=30) as client:
        act(client, case_id, "take-in-charge", {"operator": "anna"})
        act(client, case_id, "close", {"outcome": "Area ripulita.", "actor": "anna"})


class Killer(threading.Thread):
    """SIGKILLs notify-svc at random moments, restarting it each time."""

    def __init__(self, stack: Stack, kills: int, seed: int) -> None:
        super().__init__(daemon=True)
        self.stack, self.kills, self.random = stack, kills, random.Random(seed)
        self.done = 0
        self.at: list[float] = []

    def run(self) -> None:
        for _ in range(self.kills):
            time.sleep(self.random.uniform(0.5, 4.0))
            self.stack.kill("notify")
            self.at.append(time.monotonic())
            time.sleep(self.random.uniform(0.0, 0.5))
            self.stack.start_service("notify")
            self.done += 1


def deliveries(stack: Stack) -> dict[tuple[str, str], list[str]]:
    """(citizen, trigger) → the Message-ID of every raw delivery the sink kept."""
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for mail in read_mails(stack.mail_dir):
        subject = str(make_header(decode_header(mail["Subject"])))
        trigger = next((t for text, t in TRIGGERS.items() if text in subject), None)
        if trigger and (mail["To"] or "").startswith("cittadino."):
            found[(str(mail["To"]), trigger)].append(str(mail["Message-ID"]))
    return found


def all_settled(stack: Stack, case_ids: list[str]) -> bool:
    with httpx.Client(base_url=stack.url("notify"), timeout=10) as client:
        for case_id in case_ids:
            try:
                response = client.get(f"/cases/{case_id}/notifications")
            except httpx.HTTPError:
                return False  # restarting
            listed = response.json() if response.status_code == 200 else []
            citizens = [n for n in listed if n["audience"] == "citizen"]
            if len(citizens) < 3 or any(n["status"] != "sent" for n in listed):
                return False
    return True


@pytest.mark.timeout(420)
def test_killing_notify_at_random_never_loses_nor_doubles_a_message(stack: Stack) -> None:
    seed = random.randrange(1_000_000)
    with httpx.Client(base_url=stack.url("intake"), timeout=30) as client:
        case_ids = [register(client, i) for i in range(CASES)]

    killer = Killer(stack, KILLS, seed)
    started = time.monotonic()
    killer.start()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda case_id: take_in_charge_and_close(stack, case_id), case_ids))
    acted = time.monotonic()
    killer.join()
    stack.wait_ready()

    expected = {(citizen(i), t) for i in range(CASES) for t in ("taken_in_charge", "closed")}
    until(lambda: expected <= deliveries(stack).keys(), 240, "every message delivered")
    until(lambda: all_settled(stack, case_ids), 120, "every notification settled")

    found = deliveries(stack)
    raw = Counter(trigger for (_, trigger), ids in found.items() for _ in ids)
    duplicates = {key: ids for key, ids in found.items() if len(ids) > len(set(ids))}
    duplicated = sum(len(ids) - len(set(ids)) for ids in duplicates.values())
    print(  # noqa: T201 - the known window stays visible in the test output
        f"\nnotify fault test (seed {seed}): {CASES} cases taken in charge and closed in "
        f"{acted - started:.1f}s; SIGKILLs at {[round(t - started, 1) for t in killer.at]}s; "
        f"raw deliveries per trigger {dict(raw)}; "
        f"{duplicated} duplicate deliveries "
        f"(same Message-ID: killed between the server's 250 and mark_sent) for "
        f"{sorted(duplicates)}"
    )
    assert killer.done == KILLS
    # Each lane has one message in the provider's hands at a time: a kill can double at most
    # one per lane (killed between the server's 250 and mark_sent), never with a new Message-ID.
    assert duplicated <= killer.done * LANES
    for i in range(CASES):
        for trigger in ("taken_in_charge", "closed", "received"):
            ids = set(found[(citizen(i), trigger)])
            assert len(ids) == 1, f"{citizen(i)} {trigger}: {ids}"
