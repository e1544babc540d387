"""The event stores' cipher: eventsourcing's AES-GCM layout, on OpenSSL through `cryptography`.

eventsourcing's AESCipher builds a PyCryptodome GCM object for every event it encrypts or
decrypts; that construction alone was a tenth of sla-svc's CPU under load. This one keeps one
AESGCM object per key and writes the very same bytes (12-byte nonce, 16-byte tag, ciphertext),
so stores written by either read with the other.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.cipher import AESCipher
from eventsourcing.utils import Environment

from .entropy import random_bytes

NONCE, TAG = 12, 16


class GcmCipher(AESCipher):
    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)  # reads and checks CIPHER_KEY
        self._aead = AESGCM(self.key)

    @staticmethod
    def random_bytes(num_bytes: int) -> bytes:
        return random_bytes(num_bytes)  # a block at a time: entropy.py

    def encrypt(self, plaintext: bytes) -> bytes:
        nonce = random_bytes(NONCE)
        sealed = self._aead.encrypt(nonce, plaintext, None)  # ciphertext, then the tag
        return nonce + sealed[-TAG:] + sealed[:-TAG]

    def decrypt(self, ciphertext: bytes) -> bytes:
        if len(ciphertext) < NONCE + TAG:
            raise ValueError("Damaged cipher text: too short for a nonce and a tag")
        nonce, tag, encrypted = (
            ciphertext[:NONCE],
            ciphertext[NONCE : NONCE + TAG],
            ciphertext[NONCE + TAG :],
        )
        try:
            return self._aead.decrypt(nonce, encrypted + tag, None)
        except InvalidTag:
            raise ValueError("Cipher text is damaged: MAC check failed") from None
