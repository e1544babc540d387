"""A partner's durable consumer on the CASES stream: created once, its position never moved."""

from __future__ import annotations

import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from sportello_contracts.subjects import CASES_STREAM

from .members import CONSUMER_ACK_WAIT_SECONDS, CONSUMER_MAX_ACK_PENDING, Partner


def consumer_config(partner: Partner) -> ConsumerConfig:
    return ConsumerConfig(
        durable_name=partner.consumer,
        name=partner.consumer,
        description=f"{partner.name} ({partner.tenant}): events of the cases it handles",
        filter_subject=partner.filter_subject,
        # From the beginning: a new partner also sees the cases assigned before it connected.
        deliver_policy=DeliverPolicy.ALL,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=CONSUMER_ACK_WAIT_SECONDS,
        max_ack_pending=CONSUMER_MAX_ACK_PENDING,
    )


async def ensure_consumer(servers: list[str], user: str, password: str, partner: Partner) -> bool:
    """Create the partner's durable consumer; True if created, False if it existed (kept as is,
    so re-running never moves a partner's position)."""
    nc = await nats.connect(
        servers=servers,
        user=user,
        password=password,
        connect_timeout=5,
        allow_reconnect=False,
        max_reconnect_attempts=1,
        error_cb=_raised_anyway,
    )
    try:
        js = nc.jetstream()
        try:
            await js.consumer_info(CASES_STREAM, partner.consumer)
        except NotFoundError:
            await js.add_consumer(CASES_STREAM, consumer_config(partner))
            return True
        return False
    finally:
        await nc.close()


async def _raised_anyway(error: Exception) -> None:
    """nats-py would log every failed attempt; `connect` raises the outcome instead."""
