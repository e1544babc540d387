"""The pool of random bytes: each byte handed out once, one system call per block, fork-safe."""

from __future__ import annotations

import os
import re
import uuid

import pytest
from sportello_shared import entropy
from sportello_shared.cipher import GcmCipher
from sportello_shared.tracing import child_traceparent, new_traceparent


def test_draws_never_repeat_and_never_overlap() -> None:
    draws = [entropy.random_bytes(12) for _ in range(5_000)]  # about fifteen blocks
    assert all(len(d) == 12 for d in draws)
    assert len(set(draws)) == len(draws)
    # overlapping slices of one block would share their bytes at some offset
    chunks = {d[i : i + 8] for d in draws for i in range(0, 5)}
    assert len(chunks) == 5 * len(draws)


def test_one_system_call_fills_many_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = os.urandom

    def counted(size: int) -> bytes:
        calls.append(size)
        return real(size)

    monkeypatch.setattr(entropy.os, "urandom", counted)
    pool = entropy._Pool()
    nonces = [pool.take(12) for _ in range(entropy.BLOCK // 12)]
    assert calls == [entropy.BLOCK]
    assert len(set(nonces)) == len(nonces)
    pool.take(12)  # the block's last 4 bytes are too few: a new block
    assert calls == [entropy.BLOCK, entropy.BLOCK]
    assert len(pool.take(entropy.BLOCK)) == entropy.BLOCK  # a large draw goes to the kernel alone
    assert calls == [entropy.BLOCK, entropy.BLOCK, entropy.BLOCK]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX")
def test_a_forked_child_never_hands_out_its_parent_s_bytes() -> None:
    entropy.random_bytes(12)  # the parent holds a block with bytes left in it
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's side, reported through the pipe
        os.write(writing, entropy.random_bytes(12))
        os._exit(0)
    os.close(writing)
    _, status = os.waitpid(child, 0)
    from_child = os.read(reading, 12)
    os.close(reading)
    assert os.waitstatus_to_exitcode(status) == 0
    assert len(from_child) == 12
    assert from_child != entropy.random_bytes(12)


def test_ids_and_tokens_have_their_standard_shapes() -> None:
    made = entropy.random_uuid()
    assert made.version == 4 and made.variant == uuid.RFC_4122
    assert len({entropy.random_uuid() for _ in range(1_000)}) == 1_000
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", entropy.token_urlsafe(24))
    assert re.fullmatch(r"[0-9a-f]{16}", entropy.token_hex(8))


def test_trace_ids_and_nonces_come_from_the_pool() -> None:
    parent = new_traceparent()
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-01", parent)
    child = child_traceparent(parent)
    assert child.split("-")[1] == parent.split("-")[1] and child != parent
    cipher = GcmCipher({"CIPHER_KEY": GcmCipher.create_key(16)})
    sealed = [cipher.encrypt(b"Maria Rossi") for _ in range(100)]
    assert len({s[:12] for s in sealed}) == 100  # a nonce is never used twice
    assert {cipher.decrypt(s) for s in sealed} == {b"Maria Rossi"}
