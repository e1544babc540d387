"""Dead letters keep the subject, the headers and the reason; their payload is sealed.

What a consumer could not process may hold personal data (a platform's submission with the
citizen's contact). The DLQ stream therefore holds it AES-GCM-sealed under a key of its own, kept
in the dead-lettering service's key vault (subject `letter:<id>`) and linked there to the
citizen's contacts when the payload names them: an erasure of that citizen deletes the key, and
the dead letter is then unreadable like every other copy. Listing and redriving unseal it.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..entropy import random_bytes

SEALED = "Sportello-Sealed"  # header: the key's subject in the service's vault
NONCE_BYTES = 12


def letter_id(service: str, stream: str, sequence: int) -> UUID:
    """The dead letter's id, stable across redeliveries of the same message."""
    return uuid5(NAMESPACE_URL, f"sportello:dead-letter:{service}:{stream}:{sequence}")


def letter_subject(letter: UUID) -> str:
    return f"letter:{letter}"


def seal(key: bytes, subject: str, data: bytes) -> bytes:
    nonce = random_bytes(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, data, subject.encode())


def unseal(key: bytes, subject: str, sealed: bytes) -> bytes:
    return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], subject.encode())
