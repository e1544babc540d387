"""The collector's settings a service takes once started (heap.py), in a process of its own:
freezing the heap would last for the rest of this test session."""

from __future__ import annotations

import subprocess
import sys

SETTLE = """
import gc
from sportello_shared import heap
startup_world = [[n] for n in range(1000)]
assert gc.get_freeze_count() == 0
heap.settle()
print(gc.get_freeze_count() >= 1000, gc.get_threshold())
"""


def test_a_started_service_freezes_its_startup_world_and_collects_less_often() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SETTLE], capture_output=True, text=True, check=True
    ).stdout.split(maxsplit=1)
    assert out == ["True", "(10000, 20, 20)\n"]
