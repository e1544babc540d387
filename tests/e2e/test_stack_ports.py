"""A stack on ports picked free starts again on fresh ones when another process took one of them
between the pick and the service's bind (devstack/stack.py): seen once as a test's whole stack
failing to start, beside three other workers starting theirs."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from sportello_devstack.processes import answers
from sportello_devstack.stack import Stack

pytestmark = pytest.mark.e2e


def test_a_port_taken_before_the_service_binds_it_gets_the_stack_fresh_ports(
    tmp_path: Path,
) -> None:
    stack = Stack.on_free_ports(tmp_path / "stack")
    taken = stack.ports["routing"]
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", taken))
        squatter.listen()
        stack.start()
        try:
            assert stack.ports["routing"] != taken
            assert all(answers(f"{stack.url(name)}/readyz") for name in stack.names)
            log = (tmp_path / "stack" / "routing.log").read_bytes()
            assert b"address already in use" in log  # the first attempt's
        finally:
            stack.stop()


def test_fixed_ports_are_not_changed_behind_the_operator(tmp_path: Path) -> None:
    """`make run`'s stack (its ports printed, bookmarked) fails instead."""
    stack = Stack.on_free_ports(tmp_path / "stack")
    stack.free_ports = False
    taken = stack.ports["routing"]
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", taken))
        squatter.listen()
        with pytest.raises(RuntimeError, match="routing exited"):
            stack.start()
    assert stack.ports["routing"] == taken
