"""A partner company's subscriber: the events of the cases it handles, pushed by Sportello.

    pip install nats-py
    python subscriber.py partner-pisa-pisamo.json [--take-in-charge] [--max N]

The credentials file is the one Sportello hands over (`make partner NAME=pisamo`). Each event is
handled, then acknowledged; only after the server confirmed the ack is it printed, so a restart
resumes right after the last printed event. An event whose ack did not reach the server comes
again: handle events idempotently, keyed by their `id`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nats
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext

ASSIGNED = "it.sportello.case.assigned.v1"
STATUS_REPORTED = "it.sportello.case.status_reported.v1"


async def run(credentials: dict[str, Any], take_in_charge: bool, max_events: int | None) -> None:
    nc = await nats.connect(
        servers=credentials["servers"],
        user=credentials["user"],
        password=credentials["password"],
        name=f"{credentials['user']} subscriber",
        max_reconnect_attempts=-1,  # keep trying: the consumer keeps our position meanwhile
    )
    # Sportello's JetStream is reached through our account's imports, under this prefix.
    js = nc.jetstream(prefix=credentials["api_prefix"])
    # Bind to the durable consumer Sportello made for us; we may not create or change consumers.
    subscription = await js.pull_subscribe_bind(
        credentials["consumer"], stream=credentials["stream"]
    )
    handled = 0
    try:
        while max_events is None or handled < max_events:
            try:
                # A long poll: the server pushes each event into this open request as soon as it
                # is published, and ends the request after 30 s of silence.
                messages = await subscription.fetch(batch=50, timeout=30)
            except NatsTimeout:
                continue
            for message in messages:
                event = json.loads(message.data)
                if take_in_charge and event["type"] == ASSIGNED:
                    await report_status(js, credentials, event, "taken_in_charge")
                await message.ack_sync()
                print_event(event, message)
                handled += 1
    finally:
        await nc.drain()


def print_event(event: dict[str, Any], message: Msg) -> None:
    line = {
        "id": event["id"],
        "type": event["type"],
        "case_id": event["subject"],
        "nats_subject": message.subject,
        "stream_sequence": message.metadata.sequence.stream,
    }
    print(json.dumps(line), flush=True)  # noqa: T201 - the program's output


async def report_status(
    js: JetStreamContext, credentials: dict[str, Any], event: dict[str, Any], status: str
) -> None:
    """Tell Sportello how the case is going: a CloudEvent on our own ingest subject."""
    case_id = event["subject"]
    report = {
        "specversion": "1.0",
        # Deterministic: a redelivered event produces the same report, which JetStream drops.
        "id": f"{event['id']}:{status}",
        "source": f"/partners/{credentials['tenant']}/{credentials['name']}",
        "type": STATUS_REPORTED,
        "subject": case_id,
        "time": datetime.now(UTC).isoformat(),
        "datacontenttype": "application/json",
        "tenant": credentials["tenant"],
        "organization": credentials["name"],
        "data": {"case_id": case_id, "status": status, "operator": credentials["name"]},
    }
    await js.publish(
        credentials["ingest_subject"],
        json.dumps(report).encode(),
        headers={"Nats-Msg-Id": report["id"]},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("credentials", type=Path, help="the JSON file Sportello handed over")
    parser.add_argument("--take-in-charge", action="store_true", help="report each assignment")
    parser.add_argument("--max", type=int, default=None, help="stop after this many events")
    args = parser.parse_args()
    credentials = json.loads(args.credentials.read_text(encoding="utf-8"))

    async def until_signalled() -> None:
        task = asyncio.create_task(run(credentials, args.take_in_charge, args.max))
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(until_signalled())


if __name__ == "__main__":
    main()
