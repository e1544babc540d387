"""A new citizen's key and the case's links to its contacts are written in the registration's
own transaction (personal_data/mapper.py, staged_rows.py), on SQLite and PostgreSQL: one commit,
and nothing sealed under a key that is not stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError
from sportello_intake.application import IntakeApplication, RegisterCase
from sportello_intake.domain import Case
from sportello_intake.registration import RegistrationBatch, prepare_registration
from sportello_shared.personal_data.vault import open_vault

from .test_reference_counters import CASE, replica


def citizen() -> dict[str, str]:
    return {"name": "Ada Bianchi", "email": f"ada.{uuid4().hex[:8]}@example.org"}


def register(app: IntakeApplication, who: dict[str, str]) -> Case:
    [outcome] = app.register_cases([RegisterCase(**(CASE | {"citizen": who}), actor="test")])
    assert not isinstance(outcome, Exception), outcome
    return outcome.case


def own_transactions(app: IntakeApplication, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The vault's writes in a transaction of its own (`ensure`), from now on."""
    calls: list[Any] = []
    insert = app.vault._insert  # type: ignore[attr-defined]

    def counted(*args: Any) -> Any:
        calls.append(args)
        return insert(*args)

    monkeypatch.setattr(app.vault, "_insert", counted)
    return calls


def test_the_key_and_the_links_commit_with_the_case(
    store: dict[str, str], nats_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = replica(store, nats_url, tmp_path / "a")
    try:
        own = own_transactions(app, monkeypatch)
        who = citizen()
        case = register(app, who)
        assert own == []
        vault = open_vault(app.env, app.name.lower(), app.mapper.cipher)  # as another replica
        try:
            assert vault.key(case.data_subject, create=False) == app.vault.key(case.data_subject)
            assert vault.aggregates_of(app.pseudonyms_of(who)) == [case.id]
        finally:
            vault.close()
        again = register(app, who)  # a returning citizen: the key is known, the link is new
        assert own == []
        assert sorted(app.vault.aggregates_of(app.pseudonyms_of(who))) == sorted(
            [case.id, again.id]
        )
    finally:
        app.close()


def test_a_key_another_replica_stored_meanwhile_fails_the_transaction_and_the_retry_uses_it(
    store: dict[str, str], nats_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = replica(store, nats_url, tmp_path / "a")
    other = open_vault(app.env, app.name.lower(), app.mapper.cipher)
    try:
        who = citizen()
        subject = app.data_subject_of(who)
        read_many = app.vault._read_many  # type: ignore[attr-defined]
        raced: list[str] = []

        def read_then_lose_the_race(subjects: list[str]) -> Any:
            found = read_many(subjects)
            if subject in subjects and not raced:  # the other replica inserts right after
                other.ensure([subject])
                raced.append(subject)
            return found

        monkeypatch.setattr(app.vault, "_read_many", read_then_lose_the_race)
        with pytest.raises(IntegrityError):
            app.save(*_prepared(app, who))
        case = register(app, who)  # the registration's own retry path: reads the stored key
        assert raced == [subject]
        assert app.vault.key(subject) == other.key(subject, create=False)
        assert app.find_case(case.id) is not None
        assert app.find_case(case.id).citizen["email"] == who["email"]  # type: ignore[union-attr]
    finally:
        other.close()
        app.close()


def _prepared(app: IntakeApplication, who: dict[str, str]) -> list[Any]:
    """A registration's aggregates, saved without the retry `register_cases` wraps it in."""
    batch = RegistrationBatch()
    prepare_registration(app, RegisterCase(**(CASE | {"citizen": who}), actor="test"), batch)
    return batch.aggregates
