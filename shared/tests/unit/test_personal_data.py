"""Sealing personal fields under per-subject keys, and what an erased key leaves readable."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import uuid4

from eventsourcing.cipher import AESCipher
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder, Mapper, UUIDAsHex
from eventsourcing.popo import POPOApplicationRecorder
from eventsourcing.utils import Environment
from hypothesis import given
from hypothesis import strategies as st
from sportello_shared.personal_data import ERASED_TEXT, is_erased
from sportello_shared.personal_data.mapper import PersonalDataMapper, SealingEventStore
from sportello_shared.personal_data.vault import ERASED, InMemoryDataKeyVault

AT = datetime(2026, 11, 30, 12, tzinfo=UTC)


class Complaint(Aggregate):
    class Filed(Aggregate.Created):
        personal_data: ClassVar[dict[str, Any]] = {"citizen": {}, "text": ERASED_TEXT}

        category: str
        citizen: dict[str, Any]
        text: str
        data_subject: str

    @event(Filed)
    def __init__(self, category: str, citizen: dict[str, Any], text: str, data_subject: str):
        self.category = category
        self.citizen = citizen
        self.text = text


def transcoder() -> JSONTranscoder:
    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    transcoder.register(DatetimeAsISO())
    return transcoder


def mapper_with(vault: InMemoryDataKeyVault, cipher: AESCipher | None = None) -> PersonalDataMapper:
    return PersonalDataMapper(Mapper(transcoder(), cipher=cipher), vault)


def filed(subject: str, text: str = "Il vicino brucia plastica") -> Complaint.Filed:
    complaint = Complaint("ambiente", {"name": "Ada", "email": "ada@example.org"}, text, subject)
    [created] = complaint.collect_events()
    assert isinstance(created, Complaint.Filed)
    return created


def test_personal_fields_are_sealed_and_read_back_while_the_key_exists() -> None:
    vault = InMemoryDataKeyVault()
    mapper = mapper_with(vault)
    stored = mapper.to_stored_event(filed("email:ada"))

    assert b"Ada" not in stored.state and b"plastica" not in stored.state
    assert b"ambiente" in stored.state  # only the personal fields are sealed
    back = mapper.to_domain_event(stored)
    assert back.citizen == {"name": "Ada", "email": "ada@example.org"}  # type: ignore[attr-defined]
    assert back.text == "Il vicino brucia plastica"  # type: ignore[attr-defined]
    assert not is_erased(back)


def test_after_the_erasure_the_fields_read_as_declared_and_the_facts_stay() -> None:
    vault = InMemoryDataKeyVault()
    mapper = mapper_with(vault)
    stored = mapper.to_stored_event(filed("email:ada"))
    other = mapper.to_stored_event(filed("email:bruno", "Buche in strada"))

    vault.erase(["email:ada"], "dpo", AT)

    back = mapper.to_domain_event(stored)
    assert is_erased(back)
    assert back.citizen == {} and back.text == ERASED_TEXT  # type: ignore[attr-defined]
    assert back.category == "ambiente"  # type: ignore[attr-defined]
    assert mapper.to_domain_event(other).text == "Buche in strada"  # type: ignore[attr-defined]
    assert vault.key("email:ada") is ERASED
    assert vault.erasures(["email:ada"])[0].erased_by == "dpo"


def test_an_event_of_an_erased_subject_is_stored_without_its_personal_data() -> None:
    vault = InMemoryDataKeyVault()
    vault.erase(["email:ada"], "dpo", AT)
    mapper = mapper_with(vault)

    stored = mapper.to_stored_event(filed("email:ada"))

    assert b"Ada" not in stored.state and b"plastica" not in stored.state
    assert mapper.to_domain_event(stored).text == ERASED_TEXT  # type: ignore[attr-defined]


def test_an_event_without_a_subject_is_stored_as_before() -> None:
    mapper = mapper_with(InMemoryDataKeyVault())
    stored = mapper.to_stored_event(filed(""))
    assert b"plastica" in stored.state  # only the store's own cipher protects it
    assert Mapper(transcoder()).to_domain_event(stored).text.endswith("plastica")  # type: ignore[attr-defined]


def test_keys_are_wrapped_with_the_store_cipher() -> None:
    cipher = AESCipher(Environment(env={"CIPHER_KEY": AESCipher.create_key(32)}))
    vault = InMemoryDataKeyVault(cipher)
    mapper = mapper_with(vault, cipher)
    stored = mapper.to_stored_event(filed("email:ada"))
    key = vault.key("email:ada")
    assert isinstance(key, bytes)
    assert all(key not in wrapped for wrapped in vault._keys.values() if wrapped)
    assert mapper.to_domain_event(stored).text.endswith("plastica")  # type: ignore[attr-defined]


@given(st.sampled_from(["email", "phone", "post"]), st.text("ghijklmnopqrstuvwxyz@.+ ", min_size=3))
def test_pseudonyms_are_stable_per_store_and_reveal_nothing(kind: str, value: str) -> None:
    vault = InMemoryDataKeyVault()
    pseudonym = vault.pseudonym(kind, value)
    assert pseudonym == vault.pseudonym(kind, value)
    assert pseudonym.startswith(f"{kind}:") and value not in pseudonym[len(kind) + 1 :]
    assert pseudonym != InMemoryDataKeyVault().pseudonym(kind, value)  # another store's pepper


def test_sealed_data_is_bound_to_its_subject() -> None:
    vault = InMemoryDataKeyVault()
    mapper = mapper_with(vault)
    stored = mapper.to_stored_event(filed("email:ada"))
    vault.ensure(["email:eve"])
    # a sealed envelope moved under another subject's name does not open
    tampered = stored.state.replace(b"email:ada", b"email:eve")
    try:
        mapper.to_domain_event(type(stored)(stored.originator_id, 1, stored.topic, tampered))
    except Exception as exc:
        assert "InvalidTag" in type(exc).__name__ or "Deserialis" in type(exc).__name__
    else:
        raise AssertionError("an envelope opened under another subject's key")


def test_aggregates_are_found_by_any_pseudonym_they_were_linked_to() -> None:
    vault = InMemoryDataKeyVault()
    first, second = uuid4(), uuid4()
    vault.ensure(["email:ada"], [(first, "email:ada"), (first, "phone:1"), (second, "phone:1")])
    assert vault.aggregates_of(["email:ada"]) == [first]
    assert vault.aggregates_of(["phone:1"]) == sorted([first, second])


def test_a_batch_makes_the_keys_of_its_new_subjects_in_one_step_and_reads_none_first() -> None:
    """One vault transaction for the subjects new to this process, none per event; a subject
    erased elsewhere is found by that same step, and its event keeps no personal data."""
    vault = InMemoryDataKeyVault()
    vault.erase(["email:erased"], "dpo", AT)
    vault._cache.clear()  # this process has not seen it yet
    inserts: list[list[str]] = []
    reads: list[str] = []
    insert, read = vault._insert, vault._read_stored
    vault._insert = lambda keys, links: inserts.append([s for s, _ in keys]) or insert(keys, links)  # type: ignore[method-assign]
    vault._read_stored = lambda subject: reads.append(subject) or read(subject)  # type: ignore[method-assign]
    store = SealingEventStore(mapper_with(vault), POPOApplicationRecorder())
    subjects = ["email:ada", "email:bruno", "email:ada", "email:erased"]

    store.put([filed(s) for s in subjects])

    assert len(inserts) == 1 and sorted(inserts[0]) == ["email:ada", "email:bruno", "email:erased"]
    assert reads == []
    assert vault.key("email:erased") is ERASED
    [*_, erased] = store.recorder.select_notifications(start=1, limit=10)
    assert b"Ada" not in erased.state and b"plastica" not in erased.state
    store.put([filed("email:ada")])  # known now: nothing asked of the vault's storage
    assert len(inserts) == 1 and reads == []
