"""The stores' cipher writes eventsourcing's AES-GCM layout: either reads what the other wrote."""

from __future__ import annotations

import pytest
from eventsourcing.cipher import AESCipher
from eventsourcing.utils import Environment
from hypothesis import given
from hypothesis import strategies as st
from sportello_shared.cipher import GcmCipher

ENV = Environment(env={"CIPHER_KEY": AESCipher.create_key(32)})
FAST, REFERENCE = GcmCipher(ENV), AESCipher(ENV)


@given(st.binary(max_size=4096))
def test_each_reads_what_the_other_wrote(plaintext: bytes) -> None:
    assert REFERENCE.decrypt(FAST.encrypt(plaintext)) == plaintext
    assert FAST.decrypt(REFERENCE.encrypt(plaintext)) == plaintext


def test_same_layout_nonce_tag_ciphertext() -> None:
    sealed = FAST.encrypt(b"segnalazione")
    assert len(sealed) == 12 + 16 + len(b"segnalazione")
    assert FAST.encrypt(b"segnalazione") != sealed  # a fresh nonce each time


@pytest.mark.parametrize("damage", [lambda b: b[:20], lambda b: b[:-1] + bytes([b[-1] ^ 1])])
def test_damaged_text_is_refused_as_eventsourcing_refuses_it(damage: object) -> None:
    sealed = FAST.encrypt(b"dati")
    with pytest.raises(ValueError):
        FAST.decrypt(damage(sealed))  # type: ignore[operator]
    with pytest.raises(ValueError):
        REFERENCE.decrypt(damage(sealed))  # type: ignore[operator]


def test_a_key_of_the_wrong_size_is_refused() -> None:
    with pytest.raises(ValueError):
        GcmCipher(Environment(env={"CIPHER_KEY": "c2hvcnQ="}))
