"""Personal-data answers for fresh cases come from the case as registered (fresh_cases.py), and
say exactly what a read of the store says: a change here advances the case (or drops it when it
does not follow on), a change made by another process is seen through the event it asks about, an
erased key is never read around. The case index brings fresh cases up to its batches the same
way."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from sportello_contracts.personal import PersonalRequest
from sportello_intake.adapters.indexing import _current_rows
from sportello_intake.application import IntakeApplication, RegisterCase
from sportello_intake.commands import CaseCommand
from sportello_intake.forgetting import ErasureRequest, NothingToErase
from sportello_intake.fresh_cases import FreshCases
from sportello_intake.main import open_case_index
from sportello_intake.personal import PersonalDataReader
from sportello_intake.search import CaseRow
from sportello_shared.tenants import load_tenants

from .conftest import ROOT, settings_for

CITIZEN = {"name": "Giulia Bianchi", "email": "giulia.bianchi@example.org", "phone": "+39 011 555"}
DESCRIPTION = "Cassonetti traboccanti in via Roma, perché nessuno li svuota più"
REGISTRATION: dict[str, Any] = {
    "tenant": "torino",
    "kind": "segnalazione",
    "channel": "email",
    "category": "decoro_pulizia",
    "description": DESCRIPTION,
    "citizen": CITIZEN,
    "location": {"address": "Via Roma 1, Torino", "lat": 45.07, "lon": 7.68},
    "message_id": "<first.42@mail.example.org>",
}


def make_app(store: dict[str, str], nats_url: str) -> IntakeApplication:
    settings = settings_for(store, nats_url)
    env = settings.eventsourcing_env()
    return IntakeApplication(
        load_tenants(ROOT / "deploy" / "tenants"), open_case_index(settings), env=env
    )


@pytest.fixture
def app(store: dict[str, str], nats_url: str) -> Iterator[IntakeApplication]:
    application = make_app(store, nats_url)
    yield application
    application.close()


@pytest.fixture
def elsewhere(store: dict[str, str], nats_url: str) -> Iterator[IntakeApplication]:
    """Another replica (or the CLI) on the same store: nothing of `app`'s memory."""
    application = make_app(store, nats_url)
    yield application
    application.close()


def register(app: IntakeApplication) -> UUID:
    registration = app.register_case(RegisterCase(**REGISTRATION, actor="test"))
    return registration.case.id


def ask(app: IntakeApplication, requester: str, case_id: UUID, version: int | None = None) -> Any:
    event_id = f"{case_id}:{version}" if version else None
    request = PersonalRequest(case_id=str(case_id), event_id=event_id)
    return PersonalDataReader(app).answer("torino", requester, request).model_dump()


def store_reads(app: IntakeApplication, monkeypatch: pytest.MonkeyPatch) -> list[UUID]:
    """The cases `app` reads back from its store from now on."""
    reads: list[UUID] = []
    find_case = app.find_case

    def counted(case_id: UUID) -> Any:
        reads.append(case_id)
        return find_case(case_id)

    monkeypatch.setattr(app, "find_case", counted)
    return reads


def test_a_fresh_case_is_answered_as_the_store_answers_without_reading_it(
    app: IntakeApplication, elsewhere: IntakeApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = register(app)
    reads = store_reads(app, monkeypatch)
    for requester, version in (("routing", 1), ("notify", 1), ("notify", None), ("amiat", None)):
        assert ask(app, requester, case_id, version) == ask(elsewhere, requester, case_id, version)
    assert reads == []
    answer = ask(app, "notify", case_id, 1)
    assert answer["citizen"]["email"] == CITIZEN["email"]
    assert answer["in_reply_to"] == REGISTRATION["message_id"]
    assert ask(app, "routing", case_id)["description"] == DESCRIPTION


def test_a_change_committed_here_advances_the_fresh_case(
    app: IntakeApplication, elsewhere: IntakeApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = register(app)
    updated = app.execute(
        CaseCommand(case_id, "update_citizen", "anna", {"message": "Domani passa la squadra"})
    )
    reads = store_reads(app, monkeypatch)
    assert ask(app, "routing", case_id) == ask(elsewhere, "routing", case_id)
    answer = ask(app, "notify", case_id, updated.version)
    assert answer["text"] == "Domani passa la squadra"
    assert answer == ask(elsewhere, "notify", case_id, updated.version)
    assert ask(app, "notify", case_id, 1) == ask(elsewhere, "notify", case_id, 1)
    assert reads == []
    fresh = app.fresh_cases.get(case_id)
    assert fresh is not None and fresh.case is not updated  # a copy of its own
    assert fresh.case.timeline == updated.timeline and fresh.case.timeline is not updated.timeline
    assert fresh.case.version == updated.version == elsewhere.get_case(case_id).version


def test_a_change_here_after_one_elsewhere_drops_the_fresh_case(
    app: IntakeApplication, elsewhere: IntakeApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = register(app)
    elsewhere.execute(CaseCommand(case_id, "update_citizen", "anna", {"message": "Primo"}))
    updated = app.execute(  # reads the store (version 2), commits 3: not on from the fresh 1
        CaseCommand(case_id, "update_citizen", "anna", {"message": "Secondo"})
    )
    assert app.fresh_cases.get(case_id) is None
    reads = store_reads(app, monkeypatch)
    assert ask(app, "notify", case_id, updated.version)["text"] == "Secondo"
    assert reads == [case_id]


def test_the_index_brings_a_fresh_case_up_to_its_batch_without_reading_it(
    app: IntakeApplication, elsewhere: IntakeApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id, other_id = register(app), register(elsewhere)  # fresh here; fresh only there
    for target in (case_id, other_id):
        elsewhere.execute(CaseCommand(target, "update_citizen", "anna", {"message": "Arriva"}))
    log = {target: list(app.events.get(target, gt=1)) for target in (case_id, other_id)}
    reads = store_reads(app, monkeypatch)

    rows = _current_rows(app, log)  # the batch holds another process's commit, version 2

    assert reads == [other_id]
    assert rows == [CaseRow.of(elsewhere.get_case(t)) for t in (case_id, other_id)]
    fresh = app.fresh_cases.get(case_id)
    assert fresh is not None and fresh.case.version == 1  # what is held is never changed


def test_a_change_made_elsewhere_is_read_from_the_store_for_its_event(
    app: IntakeApplication, elsewhere: IntakeApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = register(app)
    updated = elsewhere.execute(
        CaseCommand(case_id, "update_citizen", "anna", {"message": "Domani passa la squadra"})
    )
    reads = store_reads(app, monkeypatch)
    answer = ask(app, "notify", case_id, updated.version)  # an event newer than the fresh case
    assert reads == [case_id]
    assert answer["text"] == "Domani passa la squadra"


def test_an_erased_key_is_never_read_around(
    app: IntakeApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = register(app)
    assert ask(app, "notify", case_id, 1)["citizen"]["email"] == CITIZEN["email"]
    subject = app.get_case(case_id).data_subject
    app.vault.erase([subject], "dpo", datetime.now(UTC))  # the key alone: no event on the case
    reads = store_reads(app, monkeypatch)

    answer = ask(app, "notify", case_id, 1)

    assert reads == [case_id]
    assert CITIZEN["email"] not in str(answer) and DESCRIPTION not in str(answer)


def test_an_erasure_here_forgets_every_fresh_case(app: IntakeApplication) -> None:
    register(app)
    assert len(app.fresh_cases) == 1
    with pytest.raises(NothingToErase):  # nobody to erase: the fresh cases are dropped all the same
        app.erase_personal_data(ErasureRequest(email="nobody@example.org"), "dpo", None)
    assert len(app.fresh_cases) == 0


class Stub:
    """Stands for a case: the cache only keeps it and reads its id."""

    def __init__(self) -> None:
        self.id = uuid4()


def test_fresh_cases_are_bounded_and_expire() -> None:
    now = [0.0]
    fresh = FreshCases(max_cases=2, ttl=30.0, clock=lambda: now[0])
    first, second, third = Stub(), Stub(), Stub()
    fresh.keep([first, second], [])  # type: ignore[list-item]
    assert fresh.get(first.id) is not None  # used: the most recent now
    fresh.keep([third], [])  # type: ignore[list-item]
    assert fresh.get(second.id) is None  # the least recently used went out
    assert fresh.get(first.id) is not None and fresh.get(third.id) is not None
    now[0] = 31.0
    assert fresh.get(first.id) is None and len(fresh) == 1
    fresh.drop([third.id, "not-a-uuid"])
    assert len(fresh) == 0


def test_a_batch_that_leaves_a_gap_is_read_from_the_store(
    app: IntakeApplication, elsewhere: IntakeApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = register(app)
    for message in ("Primo", "Secondo"):
        elsewhere.execute(CaseCommand(case_id, "update_citizen", "anna", {"message": message}))
    reads = store_reads(app, monkeypatch)
    [row] = _current_rows(app, {case_id: list(app.events.get(case_id, gt=2))})  # version 3 alone
    assert reads == [case_id]
    assert row == CaseRow.of(elsewhere.get_case(case_id)) and row.version == 3
