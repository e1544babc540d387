"""Issue 18 point 9 on the console's case page, over HTTP against the running system: the triage
recategorises a classified case and rejects one at the door; an urgent Marcallo case at night
shows its on-call alert, acknowledged from the page; with notify down the page still renders.

The module's stack has Marcallo always out of office hours (conftest `night_stack`); the last
tests stop notify, then routing (a case stays `received` only while routing is away)."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from sportello_devstack.stack import Stack
from sportello_devstack.testing import eventually_sync

from .test_pages import page_with

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

SignIn = Callable[[str], httpx.Client]
Csrf = Callable[[str], str]
Register = Callable[..., str]


@pytest.fixture(scope="module")
def web_stack(night_stack: Stack) -> Stack:
    return night_stack


def selected(html: str, select_id: str) -> str:
    """The value of the selected option of a select on the page."""
    block = re.search(rf'<select id="{select_id}".*?</select>', html, re.S)
    assert block, select_id
    option = re.search(r'<option value="([^"]*)" selected>', block.group(0))
    assert option, f"nothing selected in {select_id}"
    return option.group(1)


def test_the_triage_recategorises_a_complaint_registered_as_a_report(
    sign_in: SignIn, csrf: Csrf, api_register: Register
) -> None:
    case = f"/segnalazioni/{api_register('torino', 'reclami_polizia_municipale', 'segnalazione')}"
    caller = sign_in("torino.centralino")
    page = page_with(caller, case, "action-take-in-charge")  # routed: assigned
    assert 'id="action-recategorise"' in page and 'id="action-classify"' not in page
    assert selected(page, "recategorise-category") == "reclami_polizia_municipale"
    assert selected(page, "recategorise-kind") == "segnalazione"
    assert 'value="decoro_pulizia"' in page and ">Reclamo<" in page  # the catalogue, in Italian
    assert 'id="action-reject"' not in page  # not at the door any more

    office = sign_in("torino.pm-reparto-6")
    theirs = page_with(office, case, "action-take-in-charge")
    assert 'id="action-recategorise"' not in theirs  # the triage's only
    refused = office.post(
        f"{case}/azioni/recategorise",
        data={"category": "decoro_pulizia", "kind": "reclamo", "csrf_token": csrf(theirs)},
    )
    assert refused.status_code == 403 and "action-recategorise-error" in refused.text

    done = caller.post(
        f"{case}/azioni/recategorise",
        data={
            "category": "reclami_polizia_municipale",
            "kind": "reclamo",
            "csrf_token": csrf(page),
        },
    )
    assert done.status_code == 303 and done.headers["location"].endswith("?fatto=recategorise")
    after = caller.get(done.headers["location"]).text
    assert "Tipo o categoria cambiati" in after
    facts = re.search(r'id="case-facts".*?</dl>', after, re.S)
    assert facts and "Reclamo" in facts.group(0)

    # the same again: intake refuses (409), said beside the form, the choice kept
    again = caller.post(
        f"{case}/azioni/recategorise",
        data={
            "category": "reclami_polizia_municipale",
            "kind": "reclamo",
            "csrf_token": csrf(after),
        },
    )
    assert again.status_code == 409
    error = re.search(r'id="action-recategorise-error">(.*?)</div>', again.text, re.S)
    assert error and "ha già questo tipo e questa categoria" in error.group(1)
    assert selected(again.text, "recategorise-kind") == "reclamo"

    # an assigned case cannot be rejected at the door: intake's 409 on the page, in Italian
    reject = caller.post(
        f"{case}/azioni/reject", data={"reason": "Fuori competenza", "csrf_token": csrf(after)}
    )
    assert reject.status_code == 409 and 'id="action-reject-error"' in reject.text


def test_an_urgent_case_at_night_shows_the_alert_and_is_acknowledged(
    sign_in: SignIn, csrf: Csrf, api_register: Register, web_stack: Stack
) -> None:
    case_id = api_register("marcallo", "allagamenti")
    case = f"/segnalazioni/{case_id}"
    office = sign_in("marcallo.ufficio-tecnico")
    page = page_with(office, case, 'id="on-call-paged"')
    assert "Allerta al reperibile" in page and "Tecnico reperibile" in page
    assert "In attesa che un reperibile risponda" in page
    assert 'id="action-on-call-acknowledge"' in page
    # the SMS goes out through notify's dispatcher, right after the paging the page shows
    eventually_sync(lambda: web_stack.sms.texts, timeout=20)  # type: ignore[attr-defined]

    done = office.post(f"{case}/azioni/on-call-acknowledge", data={"csrf_token": csrf(page)})
    assert done.status_code == 303, done.text
    after = office.get(done.headers["location"]).text
    assert "nessun altro della reperibilità verrà chiamato" in after
    state = re.search(r'id="on-call-state">(.*?)</p>', after, re.S)
    assert state and "Presa in carico dal reperibile" in state.group(1)
    assert 'id="action-on-call-acknowledge"' not in after  # once

    # another one, on a page opened before: notify says someone did already, on the panel
    caller = sign_in("marcallo.centralino")
    seen = caller.get(case).text
    late = caller.post(f"{case}/azioni/on-call-acknowledge", data={"csrf_token": csrf(seen)})
    assert late.status_code == 409
    assert 'id="on-call-error"' in late.text and 'id="action-on-call-acknowledge-error"' not in (
        late.text
    )

    # a case that is not urgent has no alert panel
    other = f"/segnalazioni/{api_register('marcallo', 'disservizi')}"
    assert 'id="on-call"' not in page_with(caller, other, "case-facts")


def test_with_notify_down_the_urgent_case_s_page_still_renders(
    sign_in: SignIn, csrf: Csrf, api_register: Register, web_stack: Stack
) -> None:
    case = f"/segnalazioni/{api_register('marcallo', 'allagamenti')}"
    caller = sign_in("marcallo.centralino")
    page = page_with(caller, case, 'id="on-call-paged"')
    web_stack.kill("notify")
    down = caller.get(case)
    assert down.status_code == 200
    assert "Stato dell&#39;allerta non disponibile" in down.text or (
        "Stato dell'allerta non disponibile" in down.text
    )
    refused = caller.post(f"{case}/azioni/on-call-acknowledge", data={"csrf_token": csrf(page)})
    assert refused.status_code == 503 and 'id="on-call-error"' in refused.text
    assert "presa in carico non registrata" in refused.text


def test_the_triage_rejects_a_case_at_the_door(
    sign_in: SignIn, csrf: Csrf, api_register: Register, web_stack: Stack
) -> None:
    web_stack.kill("routing")  # nobody routes it: the case stays as registered
    case = f"/segnalazioni/{api_register('torino', 'decoro_pulizia')}"
    caller = sign_in("torino.centralino")
    page = page_with(caller, case, 'id="action-reject"')
    assert "Respingi all&#39;ingresso" in page or "Respingi all'ingresso" in page
    empty = caller.post(f"{case}/azioni/reject", data={"reason": "", "csrf_token": csrf(page)})
    assert empty.status_code == 422 and 'id="action-reject-error"' in empty.text
    done = caller.post(
        f"{case}/azioni/reject",
        data={"reason": "Emergenza: chiamare il 112", "csrf_token": csrf(page)},
    )
    assert done.status_code == 303 and done.headers["location"].endswith("?fatto=reject")
    after = caller.get(done.headers["location"]).text
    assert "Respinta all&#39;ingresso." in after or "Respinta all'ingresso." in after
    status = re.search(r'id="case-status">(.*?)</span></span>', after, re.S)
    assert status and "Respinta" in status.group(1)
    assert 'id="action-reject"' not in after and 'id="action-recategorise"' not in after
