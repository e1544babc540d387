"""Random bytes for nonces, ids, tokens and trace ids, drawn from the kernel a block at a time.

`os.urandom` (and so `uuid4`, `secrets.token_*`) gives the GIL up for its system call and must
win it back afterwards. A writer thread drawing a nonce for every event it seals, while the event
loop is busy with requests, waits for the GIL at every draw, and the loop waits likewise for
the trace id of every request while the writer runs: one draw costs 0.3 µs alone and about
100 µs beside a thread running Python (issue 20; docs/benchmarks.md). Here one system call
fills a block of 4 KiB that the next draws take from, under a lock that is not contended in
practice and never gives the GIL up when it is not.

The bytes are the kernel's CSPRNG output, unchanged and each handed out once: as unpredictable
as drawing them one call at a time. A forked child starts with an empty block, so parent and
child never hand out the same bytes (a repeated AES-GCM nonce under one key would be fatal).
Data keys are still drawn directly (`personal_data/vault/`): they are rare and long-lived.
"""

from __future__ import annotations

import base64
import os
import threading
from uuid import UUID

BLOCK = 4096  # bytes drawn from the kernel at once: 341 nonces, 256 ids


class _Pool:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._block = b""
        self._offset = 0

    def take(self, size: int) -> bytes:
        if size > BLOCK // 4:
            return os.urandom(size)
        with self._lock:
            end = self._offset + size
            if end > len(self._block):
                self._block, self._offset, end = os.urandom(BLOCK), 0, size
            taken = self._block[self._offset : end]
            self._offset = end
            return taken

    def forget(self) -> None:
        """In a forked child: the parent's block may be in use there too."""
        self._lock = threading.Lock()
        self._block, self._offset = b"", 0


_pool = _Pool()
os.register_at_fork(after_in_child=_pool.forget)


def random_bytes(size: int) -> bytes:
    """`size` bytes from the kernel's CSPRNG, each handed out once in this process."""
    return _pool.take(size)


def random_uuid() -> UUID:
    """A version 4 UUID, as `uuid.uuid4()` makes it, from the pool."""
    return UUID(bytes=random_bytes(16), version=4)


def token_hex(size: int) -> str:
    """As `secrets.token_hex`: `size` random bytes as twice as many hexadecimal digits."""
    return random_bytes(size).hex()


def token_urlsafe(size: int) -> str:
    """As `secrets.token_urlsafe`: `size` random bytes, URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(random_bytes(size)).rstrip(b"=").decode("ascii")
