"""The reader's own parsing of JetStream reply subjects agrees with nats-py's."""

from __future__ import annotations

import pytest
from nats.aio.msg import Msg
from sportello_sla.adapters.stream_reader import position


@pytest.mark.parametrize(
    "reply",
    [
        "$JS.ACK.CASES.ord_x1.1.5001.12.1764526000000000000.0",
        "$JS.ACK.CASES.ord_x1.3.7.7.1764526000000000000.199993",
        "$JS.ACK._.ACCHASH.CASES.ord_x1.1.42.9.1764526000000000000.17.tok",
        "$JS.ACK.hub.ACCHASH.SLA.c.2.900001.5.1764526000000000000.3",
    ],
)
def test_where_a_message_stands_as_nats_py_reads_it(reply: str) -> None:
    metadata = Msg(None, reply=reply).metadata  # type: ignore[arg-type]
    assert position(reply) == (
        metadata.sequence.stream,
        metadata.num_pending,
        metadata.consumer,
        metadata.sequence.consumer,
    )
