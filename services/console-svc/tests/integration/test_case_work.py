"""The console's second round: possible duplicates before saving, finding a citizen's cases by
their phone or e-mail, reply templates, the URP's answer to a reopen request, the admin's
erasure with its confirmation step, and the case page's live fragment."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from sportello_devstack.open311_keys import key_for
from sportello_devstack.stack import Stack
from sportello_devstack.testing import eventually_sync as eventually

from .test_pages import VOICEMAIL_COMPLAINT, page_with, register

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

SignIn = Callable[[str], httpx.Client]
Csrf = Callable[[str], str]


def duplicates_of(client: httpx.Client, csrf: Csrf, **fields: str) -> str:
    token = csrf(client.get("/segnalazioni/nuova").text)
    answer = client.post(
        "/segnalazioni/doppioni",
        data={**VOICEMAIL_COMPLAINT, **fields, "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 200
    return answer.text


def reference_of(client: httpx.Client, path: str) -> str:
    match = re.search(r'<h1 class="h2 mb-0">([A-Z]{2}-\d{4}-\d{6})<', client.get(path).text)
    assert match
    return match.group(1)


def test_possible_duplicates_before_saving(sign_in: SignIn, csrf: Csrf) -> None:
    caller = sign_in("torino.centralino")
    mine = {"citizen_email": "dup.lia@example.org", "citizen_phone": "+39 333 9990001",
            "address": "Via Garibaldi 7, Torino", "category": "decoro_pulizia"}  # fmt: skip
    path = register(caller, csrf, **mine)
    reference = reference_of(caller, path)
    same_citizen = duplicates_of(
        caller, csrf, citizen_email="", citizen_phone="333 999 0001", address="", category=""
    )
    assert reference in same_citizen and "stesso cittadino" in same_citizen
    # another caller, same category and place: found once intake's index has the case
    other = {"citizen_email": "ugo@example.org", "citizen_phone": "",
             "address": "via Garibaldi, 7", "category": "decoro_pulizia"}  # fmt: skip

    def listed() -> str | None:
        text = duplicates_of(caller, csrf, **other)
        return text if reference in text else None

    by_place: str = eventually(listed)
    assert "stessa categoria e indirizzo" in by_place and "stesso cittadino" not in by_place
    elsewhere = duplicates_of(caller, csrf, **{**other, "address": "Via Garibaldi 70"})
    assert reference not in elsewhere and 'id="duplicates-none"' in elsewhere
    assert 'id="duplicates-waiting"' in duplicates_of(
        caller, csrf, citizen_email="", citizen_phone="", address=""
    )
    # without JavaScript: "check where it goes" shows the duplicates too, with what was typed
    token = csrf(caller.get("/segnalazioni/nuova").text)
    preview = caller.post(
        "/segnalazioni/nuova",
        data={**VOICEMAIL_COMPLAINT, **mine, "csrf_token": token, "action": "preview"},
    )
    assert 'id="duplicates-found"' in preview.text and 'id="routing-preview"' in preview.text
    assert 'value="dup.lia@example.org"' in preview.text
    # routing's reasons in the staff's words (issue 26): Italian, not routing's English
    why = preview.text.split('id="routing-preview"', 1)[1].split('class="callout-title"', 2)[1]
    assert "è competente" in why and " is competent" not in why
    assert "la categoria è «Decoro e pulizia della città»" in why  # by its name, not its code


def results(page: str) -> str:
    """The contact search's results: the form above them shows an example reference."""
    if 'id="contact-results"' not in page:
        return ""
    return page.split('id="contact-results"', 1)[1].split('id="h-filters"', 1)[0]


def test_find_a_citizen_s_cases_by_phone_or_email(sign_in: SignIn, csrf: Csrf) -> None:
    caller = sign_in("torino.centralino")
    path = register(caller, csrf, citizen_email="trova.me@example.org", citizen_phone="")
    reference = reference_of(caller, path)
    page = caller.get("/cerca").text
    found = caller.post(
        "/cerca", data={"email": "  TROVA.ME@example.org ", "phone": "", "csrf_token": csrf(page)}
    )
    assert found.status_code == 200 and 'id="contact-results"' in found.text
    assert reference in found.text and "1 pratica di questo cittadino" in found.text
    nobody = caller.post("/cerca", data={"email": "nessuno@example.org", "csrf_token": csrf(page)})
    assert reference not in results(nobody.text) and "0 pratiche di questo cittadino" in nobody.text
    empty = caller.post("/cerca", data={"email": "", "phone": "", "csrf_token": csrf(page)})
    assert empty.status_code == 422 and 'id="contact-error"' in empty.text
    assert caller.post("/cerca", data={"email": "trova.me@example.org"}).status_code == 403
    # another office's user: intake answers only with the cases their token may read
    office = sign_in("torino.pm-reparto-1")
    theirs = office.post(
        "/cerca",
        data={"email": "trova.me@example.org", "csrf_token": csrf(office.get("/cerca").text)},
    )
    assert theirs.status_code == 200 and reference not in results(theirs.text)


def take_in_charge(office: httpx.Client, csrf: Csrf, path: str) -> str:
    page = page_with(office, path, "action-take-in-charge")
    taken = office.post(f"{path}/azioni/take-in-charge", data={"csrf_token": csrf(page)})
    assert taken.status_code == 303
    return office.get(path).text


def test_reply_templates_fill_the_outcome(sign_in: SignIn, csrf: Csrf) -> None:
    path = register(sign_in("torino.centralino"), csrf)
    office = sign_in("torino.pm-reparto-6")
    page = take_in_charge(office, csrf, path)
    assert 'id="close-reply"' in page and "Reclamo esaminato" in page  # this category's too
    reference = reference_of(office, path)
    filled = office.post(
        f"{path}/azioni/close",
        data={"csrf_token": csrf(page), "reply": "reclamo-esaminato", "fill": "1", "outcome": ""},
    )
    assert filled.status_code == 200 and 'id="action-close-error"' not in filled.text
    assert f"il suo reclamo {reference} è stato esaminato" in filled.text
    fragment = office.post(
        f"{path}/testo-risposta?azione=close",
        data={"csrf_token": csrf(page), "reply": "intervento-eseguito"},
        headers={"HX-Request": "true"},
    )
    assert fragment.text.startswith('<div class="mb-3" id="close-outcome-field">')
    assert f"la segnalazione {reference} è\nstata verificata" not in fragment.text
    assert f"la segnalazione {reference} è stata verificata" in fragment.text


def test_the_urp_declines_a_reopen_request(web_stack: Stack, sign_in: SignIn, csrf: Csrf) -> None:
    caller = sign_in("torino.centralino")
    path = register(caller, csrf, citizen_email="riapri@example.org")
    reference = reference_of(caller, path)
    office = sign_in("torino.pm-reparto-6")
    page = take_in_charge(office, csrf, path)
    closed = office.post(
        f"{path}/azioni/close", data={"csrf_token": csrf(page), "outcome": "Fatto."}
    )
    assert closed.status_code == 303
    site = {"X-Api-Key": str(key_for(web_stack.data_dir, "torino", client="public-site"))}
    citizen = f"{web_stack.url('intake')}/citizen/v1/torino"
    lookup = {"reference": reference, "email": "riapri@example.org"}
    token = httpx.post(f"{citizen}/lookup", json=lookup, headers=site).json()["follow_token"]
    ask = {"reason": "La multa è ancora sul mio conto, non è risolto."}
    asked = httpx.post(f"{citizen}/cases/{token}/reopen-request", headers=site, json=ask)
    assert asked.status_code == 202, asked.text
    urp = sign_in("torino.supervisore")
    case_id = path.rsplit("/", 1)[1]
    eventually(lambda: case_id in urp.get("/code/reopen_requests").text)
    assert case_id in urp.get("/code/triage").text
    page = urp.get(path).text
    assert 'id="reopen-request"' in page and "ancora sul mio conto" in page
    assert 'id="action-decline-reopen"' in page and 'id="action-reopen"' in page
    assert 'id="action-decline-reopen"' not in office.get(path).text  # the URP decides
    reason = "Abbiamo verificato: la multa è stata annullata il giorno 3."
    declined = urp.post(
        f"{path}/azioni/decline-reopen", data={"csrf_token": csrf(page), "reason": reason}
    )
    assert declined.status_code == 303 and declined.headers["location"].endswith(
        "fatto=decline-reopen"
    )
    after = urp.get(path).text
    assert "Riapertura rifiutata" in after and 'id="reopen-request"' not in after
    eventually(lambda: case_id not in urp.get("/code/reopen_requests").text)
    seen = httpx.get(f"{citizen}/cases/{token}", headers=site).json()
    assert seen["history"][-1] == {
        **seen["history"][-1],
        "step": "reopen_declined",
        "detail": reason,
    }
    again = urp.post(
        f"{path}/azioni/decline-reopen", data={"csrf_token": csrf(after), "reason": reason}
    )
    assert again.status_code == 409 and "richieste di riapertura" in again.text


def test_the_admin_erases_after_confirming(sign_in: SignIn, csrf: Csrf) -> None:
    caller = sign_in("torino.centralino")
    path = register(caller, csrf, citizen_email="cancella@example.org", citizen_phone="")
    office = sign_in("torino.pm-reparto-6")
    page = take_in_charge(office, csrf, path)
    assert 'id="action-erase"' not in page  # open, and not an administrator
    office.post(f"{path}/azioni/close", data={"csrf_token": csrf(page), "outcome": "Fatto."})
    admin = sign_in("admin")
    page = admin.get(path).text
    assert 'id="action-erase"' in page
    assert office.get(f"{path}/cancellazione").status_code == 403
    confirm = admin.get(f"{path}/cancellazione").text
    assert 'id="erase-form"' in confirm and path in confirm  # the citizen's cases, this one
    unconfirmed = admin.post(f"{path}/cancellazione", data={"csrf_token": csrf(confirm)})
    assert unconfirmed.status_code == 422 and 'id="confirm-error"' in unconfirmed.text
    erased = admin.post(f"{path}/cancellazione", data={"csrf_token": csrf(confirm), "confirm": "1"})
    assert erased.status_code == 303 and erased.headers["location"].endswith("fatto=erase")
    after = admin.get(path).text
    assert "cancella@example.org" not in after and "Dati personali cancellati" in after
    assert 'id="action-erase"' not in after


def test_the_case_page_s_live_fragment(sign_in: SignIn, csrf: Csrf) -> None:
    caller = sign_in("torino.centralino")
    path = register(caller, csrf)
    page = caller.get(path).text
    assert 'sse-connect="/eventi"' in page and 'hx-trigger="sse:case-' in page
    live = caller.get(f"{path}/vivo", params={"stato": "received"})
    assert live.status_code == 200 and 'id="case-status"' in live.text
    assert 'id="actions"' not in live.text and "<html" not in live.text
    status = re.search(r"stato=(\w+)", page)
    assert status
    changed = caller.get(f"{path}/vivo", params={"stato": "closed"}).text
    assert 'id="status-changed"' in changed


def test_the_live_fragment_of_a_case_out_of_sight_says_so(sign_in: SignIn, csrf: Csrf) -> None:
    """An office's page stays open while the case leaves it (answered, reassigned): the next live
    refresh says so and shows none of the case, where it used to fail with 403."""
    caller = sign_in("torino.centralino")
    path = register(caller, csrf, citizen_email="altrove@example.org")
    reference = reference_of(caller, path)
    other_office = sign_in("torino.pm-reparto-1")
    assert other_office.get(path).status_code == 403
    live = other_office.get(f"{path}/vivo", params={"stato": "assigned"})
    assert live.status_code == 200 and 'id="case-gone"' in live.text
    assert "non è più di competenza del suo ufficio" in live.text
    assert '<section id="actions" hx-swap-oob="true"></section>' in live.text  # no forms
    assert reference not in live.text and "altrove@example.org" not in live.text


def test_the_urp_sees_the_cases_bounced_between_offices(sign_in: SignIn, csrf: Csrf) -> None:
    caller = sign_in("torino.centralino")
    path = register(caller, csrf, citizen_email="rimbalzo@example.org")
    reference = reference_of(caller, path)
    office = sign_in("torino.pm-reparto-6")
    page = page_with(office, path, "action-request-reassignment")
    declined = office.post(
        f"{path}/azioni/request-reassignment",
        data={"csrf_token": csrf(page), "reason": "Competenza dell'ufficio tributi"},
    )
    assert declined.status_code == 303
    urp = sign_in("torino.supervisore")
    bounced = page_with(urp, "/code/bounced", reference)
    assert "Rimbalzate tra uffici" in bounced and "Rimbalzata 1 volta" in bounced
    assert 'href="/code/bounced"' in urp.get("/code/open").text  # a tab of the URP's queues
    # and the dashboard says which office declared it, by the office's name
    dashboard = urp.get("/cruscotto").text
    declined = dashboard.split('id="declined-by-office"', 1)[1].split("</table>", 1)[0]
    assert "Corpo di Polizia Municipale \u2013 Reparto 6" in declined
