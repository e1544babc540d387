"""A partner company's subscriber: the events of the cases it handles, pushed by Sportello.

    pip install nats-py ./contracts    # sportello-contracts: the event models, pydantic only
    python subscriber.py partner-pisa-pisamo.json [--take-in-charge] [--max N]

The credentials file is the one Sportello hands over (`make partner NAME=pisamo`). Each event is
handled, then acknowledged; only after the server confirmed the ack is it printed, so a restart
resumes right after the last printed event. An event whose ack did not reach the server comes
again: handle events idempotently, keyed by their `id`.

Events carry no personal data: when a case is handed over to us (`case.handed_over`), we ask
Sportello for its dossier (the citizen's contact, the description, the place) on our own subject
`personal.<tenant>.<us>`, and get it only while the case is ours.
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
from sportello_contracts import CloudEvent
from sportello_contracts.cases import CaseAssigned
from sportello_contracts.ingest import CaseStatusReported, ReportedStatus

ASSIGNED = CaseAssigned.event_type()  # "it.sportello.case.assigned.v1"
HANDED_OVER = "it.sportello.case.handed_over."  # any version: none carries the dossier


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
                # The envelope is checked; `parse_payload(event)` would give the typed payload.
                event = CloudEvent.from_bytes(message.data)
                dossier = None
                if event.type.startswith(HANDED_OVER):
                    dossier = await fetch_dossier(nc, credentials, event.subject)
                if take_in_charge and event.type == ASSIGNED:
                    await report_status(js, credentials, event, ReportedStatus.TAKEN_IN_CHARGE)
                await message.ack_sync()
                print_event(event, message, dossier)
                handled += 1
    finally:
        await nc.drain()


async def fetch_dossier(nc: nats.NATS, credentials: dict[str, Any], case_id: str) -> dict[str, Any]:
    """The citizen's contact, the description and the place of a case we handle (request/reply);
    `{"error": "not_yours"}` once it is no longer ours. Keep it only as long as the work needs."""
    request = json.dumps({"case_id": case_id}).encode()
    reply = await nc.request(credentials["personal_subject"], request, timeout=10)
    dossier: dict[str, Any] = json.loads(reply.data)
    return dossier


def print_event(event: CloudEvent, message: Msg, dossier: dict[str, Any] | None) -> None:
    line: dict[str, Any] = {
        "id": event.id,
        "type": event.type,
        "case_id": event.subject,
        "nats_subject": message.subject,
        "stream_sequence": message.metadata.sequence.stream,
    }
    if dossier is not None:  # what we print of it: that we can reach the citizen, not how
        line["dossier"] = {
            "reference": dossier.get("reference"),
            "can_reach_citizen": bool(dossier.get("citizen")) and not dossier.get("erased"),
            "error": dossier.get("error"),
        }
    print(json.dumps(line), flush=True)  # noqa: T201 - the program's output


async def report_status(
    js: JetStreamContext, credentials: dict[str, Any], event: CloudEvent, status: ReportedStatus
) -> None:
    """Tell Sportello how the case is going: a CloudEvent on our own ingest subject."""
    data = CaseStatusReported(case_id=event.subject, status=status, operator=credentials["name"])
    report = CloudEvent(
        # Deterministic: a redelivered event produces the same report, which JetStream drops.
        id=f"{event.id}:{status}",
        source=f"/partners/{credentials['tenant']}/{credentials['name']}",
        type=data.event_type(),
        subject=event.subject,
        time=datetime.now(UTC),
        tenant=credentials["tenant"],
        organization=credentials["name"],
        data=data.model_dump(mode="json", exclude_none=True),
    )
    await js.publish(
        credentials["ingest_subject"], report.to_bytes(), headers={"Nats-Msg-Id": report.id}
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
