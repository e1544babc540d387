"""Issue 18 on the console's case page: the call-taker's acts (callback promised and made, a
consultation, a transfer), a staff note and an update to the citizen, and a duplicate merged
into the original; an office is offered only the acts it may do, on its own cases."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from sportello_devstack.testing import eventually_sync as eventually

from .test_case_work import reference_of
from .test_pages import page_with, register

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

SignIn = Callable[[str], httpx.Client]
Csrf = Callable[[str], str]


def act(client: httpx.Client, csrf: Csrf, path: str, action: str, **fields: str) -> str:
    page = page_with(client, path, f"action-{action}")
    done = client.post(f"{path}/azioni/{action}", data={**fields, "csrf_token": csrf(page)})
    assert done.status_code == 303, done.text
    assert done.headers["location"].endswith(f"?fatto={action}")
    return client.get(path).text


def test_the_call_taker_s_acts_notes_updates_and_a_merge(sign_in: SignIn, csrf: Csrf) -> None:
    caller = sign_in("torino.centralino")
    original = register(caller, csrf)
    duplicate = register(caller, csrf)
    eventually(lambda: "action-transfer" in caller.get(original).text or None)
    act(caller, csrf, original, "schedule-callback", note="Richiamare dopo le 17")
    act(caller, csrf, original, "consult", question="Di chi è il cassonetto?", answer="AMIAT")
    act(caller, csrf, original, "transfer", to="AMIAT, numero verde")
    act(caller, csrf, original, "callback-done", means="phone", note="Richiamata")
    act(caller, csrf, original, "note", note="Cittadina già nota all'ufficio")
    page = act(caller, csrf, original, "update-citizen", message="Sopralluogo lunedì")
    for event in ("Richiamata da fare", "Consulenza", "Trasferita", "Richiamata fatta"):
        assert event in page, event
    assert "Nota interna" in page and "Aggiornamento al cittadino" in page

    office = sign_in("torino.pm-reparto-6")
    theirs = page_with(office, original, "action-take-in-charge")
    assert 'id="action-note"' in theirs and 'id="action-callback-done"' in theirs
    assert 'id="action-transfer"' not in theirs and 'id="action-merge"' not in theirs

    reference = reference_of(caller, original)
    eventually(lambda: "action-merge" in caller.get(duplicate).text or None)
    merged = act(caller, csrf, duplicate, "merge", duplicate_of=reference)
    assert "Unita a un&#39;altra pratica" in merged or "Unita a un'altra pratica" in merged
    assert "Duplicato unito" in caller.get(original).text
    # a wrong reference is said on the form, in Italian
    third = register(caller, csrf)
    page = page_with(caller, third, "action-dismiss")
    wrong = caller.post(
        f"{third}/azioni/dismiss",
        data={"reason": "doppione", "duplicate_of": "TO-2099-999999", "csrf_token": csrf(page)},
    )
    assert wrong.status_code == 422 and 'id="action-dismiss-error"' in wrong.text
    # every form starts collapsed; the one that failed comes back open, with what was typed
    assert " open>" not in page and 'id="section-dismiss" open>' in wrong.text
    assert wrong.text.count(" open>") == 1 and 'value="TO-2099-999999"' in wrong.text
