"""Every page and fragment as each role sees it, over HTTP against the running system."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sportello_console.pages.case_file import CATCH_UP_S
from sportello_devstack.stack import Stack
from sportello_devstack.testing import eventually_sync as eventually
from sportello_web.dates import ROME

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

SignIn = Callable[[str], httpx.Client]
Csrf = Callable[[str], str]

VOICEMAIL_COMPLAINT = {
    "category": "reclami_polizia_municipale",
    "kind": "reclamo",
    "channel": "voicemail",
    "received_at": "",
    "citizen_name": "Mario Rossi",
    "citizen_phone": "+39 333 1234567",
    "citizen_email": "mario.rossi@example.org",
    "citizen_language": "it",
    "address": "Via Roma 1",
    "description": "<script>alert('x')</script> Nessuno ha richiamato dopo il messaggio",
}


def register(client: httpx.Client, csrf: Csrf, **changes: str) -> str:
    """A case registered through the form; returns the case page's path."""
    token = csrf(client.get("/segnalazioni/nuova").text)
    saved = client.post(
        "/segnalazioni/nuova",
        data={**VOICEMAIL_COMPLAINT, **changes, "csrf_token": token, "action": "save"},
    )
    assert saved.status_code == 303, saved.text
    return saved.headers["location"].split("?")[0]


def page_with(client: httpx.Client, path: str, marker: str, **params: str) -> str:
    """The page once it shows `marker` (the read model and the services follow within ms)."""

    def check() -> str | None:
        text = client.get(path, params=params).text
        return text if marker in text else None

    result: str = eventually(check)
    return result


def queue(client: httpx.Client, name: str) -> str:
    page = client.get(f"/code/{name}")
    assert page.status_code == 200
    return page.text


def test_without_a_session_every_page_sends_to_sign_in(web_stack: Stack) -> None:
    for path in ("/", "/code/open", "/segnalazioni/nuova", "/cerca", "/cruscotto"):
        answer = httpx.get(f"{web_stack.url('console')}{path}")
        assert answer.status_code == 303 and answer.headers["location"].startswith("/accedi")


def test_a_call_taker_registers_a_case_and_reads_back_the_reference(
    sign_in: SignIn, csrf: Csrf
) -> None:
    client = sign_in("torino.centralino")
    form = client.get("/segnalazioni/nuova")
    assert form.status_code == 200
    assert 'value="reclami_polizia_municipale"' in form.text and 'lang="it"' in form.text
    assert "OP-0427" in form.text  # Torino's operator code, beside the user's name
    preview = client.post(
        "/segnalazioni/anteprima",
        data={**VOICEMAIL_COMPLAINT, "csrf_token": csrf(form.text)},
        headers={"HX-Request": "true"},
    )
    assert "pm-reparto-6" in preview.text and "reclami_polizia_municipale" in preview.text
    case_page = client.get(register(client, csrf) + "?registrata=1")
    assert 'id="reference-large">TO-20' in case_page.text
    assert "&lt;script&gt;alert(" in case_page.text and "<script>alert(" not in case_page.text
    assert "mario.rossi@example.org" in case_page.text  # the call-taker may see the contact
    assert "torino.centralino (OP-0427)" in case_page.text  # intake-svc records the code


def test_a_form_with_errors_comes_back_with_what_was_typed(sign_in: SignIn, csrf: Csrf) -> None:
    client = sign_in("torino.centralino")
    token = csrf(client.get("/segnalazioni/nuova").text)
    answer = client.post(
        "/segnalazioni/nuova",
        data={
            **VOICEMAIL_COMPLAINT,
            "citizen_name": "",
            "citizen_phone": "",
            "citizen_email": "",
            "csrf_token": token,
            "action": "save",
        },
    )
    assert answer.status_code == 422
    assert 'id="error-summary"' in answer.text and 'href="#citizen_name"' in answer.text
    assert 'aria-describedby="citizen_name-error"' in answer.text
    assert "Nessuno ha richiamato" in answer.text  # the description is kept


def test_a_post_without_the_csrf_token_is_refused(sign_in: SignIn) -> None:
    client = sign_in("torino.centralino")
    answer = client.post("/segnalazioni/nuova", data={**VOICEMAIL_COMPLAINT, "action": "save"})
    assert answer.status_code == 403 and "Il modulo è scaduto" in answer.text


def test_the_office_sees_its_case_and_another_office_gets_403(sign_in: SignIn, csrf: Csrf) -> None:
    path = register(sign_in("torino.centralino"), csrf)
    office = sign_in("torino.pm-reparto-6")
    case_id = path.rsplit("/", 1)[1]
    eventually(lambda: case_id in queue(office, "to_take"))
    page = office.get(path)
    assert page.status_code == 200 and 'id="action-take-in-charge"' in page.text
    assert 'id="action-reassign"' not in page.text  # the URP reassigns, not the office
    other = sign_in("torino.pm-reparto-1")
    asked = time.monotonic()
    refused = other.get(path)
    assert refused.status_code == 403 and "Non hai accesso" in refused.text
    # not in that office's queues: refused at once, not after waiting for intake (CATCH_UP_S)
    assert time.monotonic() - asked < CATCH_UP_S
    assert case_id not in queue(other, "to_take")


def test_an_office_works_the_case_and_a_refusal_keeps_what_was_typed(
    sign_in: SignIn, csrf: Csrf
) -> None:
    path = register(sign_in("torino.centralino"), csrf)
    office = sign_in("torino.pm-reparto-6")
    page = page_with(office, path, "action-take-in-charge")
    taken = office.post(f"{path}/azioni/take-in-charge", data={"csrf_token": csrf(page)})
    assert taken.status_code == 303
    page = office.get(path).text
    assert 'id="action-contact"' in page and 'id="action-close"' in page
    assert "torino.pm-reparto-6" in page  # the timeline names the actor
    resumed = office.post(
        f"{path}/azioni/resume", data={"csrf_token": csrf(page), "note": "typed"}
    )  # not waiting: intake-svc refuses
    assert resumed.status_code == 409
    # intake-svc's problem detail, in Italian (the console's language), beside the form
    assert 'id="action-resume-error"' in resumed.text and "non si può" in resumed.text
    empty = office.post(f"{path}/azioni/close", data={"csrf_token": csrf(page), "outcome": " "})
    assert empty.status_code == 422 and 'id="action-close-error"' in empty.text


def test_find_by_reference_and_status(sign_in: SignIn, csrf: Csrf) -> None:
    client = sign_in("torino.centralino")
    path = register(client, csrf)
    reference = client.get(path).text.split('<h1 class="h2 mb-0">')[1].split("<")[0]
    found = page_with(client, "/cerca", path, reference=reference)
    assert "1 pratica trovata" in found
    assert "0 pratiche trovate" in client.get("/cerca", params={"status": "rejected"}).text
    # categories and offices are chosen by name, and filter by their codes
    form = client.get("/cerca").text
    assert '<option value="reclami_polizia_municipale">Reclami sui servizi' in form
    assert '<option value="pm-reparto-6">Corpo di Polizia Municipale' in form
    by_category = page_with(client, "/cerca", path, category="reclami_polizia_municipale")
    assert "1 pratica trovata" in by_category or "pratiche trovate" in by_category
    assert 'value="reclami_polizia_municipale" selected' in by_category
    assert client.get("/cerca", params={"from": "not a date"}).status_code == 200


def test_the_dashboard_is_the_urps(sign_in: SignIn, csrf: Csrf) -> None:
    register(sign_in("torino.centralino"), csrf)
    supervisor = sign_in("torino.supervisore")
    # once sla-svc has started the new case's clocks, its compliance report lists them
    page = page_with(supervisor, "/cruscotto", "Richiamata dalla casella vocale entro 24 ore")
    assert 'id="by-channel"' in page and "Segreteria telefonica" in page
    # standards and categories as the Carta and the tenant name them, not their codes
    assert "voicemail_callback_24h" not in page and "reclami_polizia_municipale" not in page
    assert "Reclami sui servizi della Polizia Municipale" in page
    # open cases per office, by the office's name, not its code
    by_office = page.split('id="by-office"', 1)[1].split("</table>", 1)[0]
    assert "<td>Corpo di Polizia Municipale \u2013 Reparto 6</td>" in by_office
    assert "pm-reparto-6" not in by_office
    assert 'id="compliance"' in page and 'id="satisfaction"' in page
    csv = supervisor.get("/cruscotto/conformita.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert sign_in("torino.centralino").get("/cruscotto").status_code == 403
    assert sign_in("torino.pm-reparto-6").get("/segnalazioni/nuova").status_code == 403


def test_the_dashboard_s_cards_count_as_the_queues_and_lead_to_them(
    sign_in: SignIn, csrf: Csrf
) -> None:
    """A voicemail left ten days ago has its 24-hour callback breached at once: the overdue card
    counts it as the overdue queue does (cases, not clocks) and leads there."""
    ten_days_ago = datetime.now(ROME) - timedelta(days=10)
    register(sign_in("torino.centralino"), csrf, received_at=f"{ten_days_ago:%Y-%m-%dT%H:%M}")
    supervisor = sign_in("torino.supervisore")

    def same_counts() -> dict[str, int] | None:
        page = supervisor.get("/cruscotto").text
        tabs = supervisor.get("/code/open").text
        cards = {q: card_count(page, q) for q in ("at_risk", "overdue", "bounced")}
        queued = {q: tab_count(tabs, q) for q in cards}
        return cards if cards == queued and cards["overdue"] >= 1 else None

    eventually(same_counts)
    page = supervisor.get("/cruscotto").text
    for queue_id, label in (("at_risk", "A rischio"), ("overdue", "Scadute")):
        assert f'<a href="/code/{queue_id}" id="dash-{queue_id}-link">{label}</a>' in page


def card_count(page: str, queue_id: str) -> int:
    match = re.search(rf'id="dash-{queue_id}">(\d+)<', page)
    assert match, queue_id
    return int(match.group(1))


def tab_count(page: str, queue_id: str) -> int:
    match = re.search(rf'data-count="{queue_id}">(\d+)<', page)
    assert match, queue_id
    return int(match.group(1))


def test_queues_per_role_and_english(sign_in: SignIn) -> None:
    office = sign_in("pisa.pisamo")
    page: Any = queue(office, "to_take")
    assert "Da prendere in carico" in page and "Smistamento" not in page
    centre = sign_in("pisa.centralino")
    assert "Smistamento" in queue(centre, "triage")
    centre.get("/lingua", params={"to": "en", "next": "/code/open"})
    english = queue(centre, "open")
    assert '<html lang="en">' in english and "All open" in english


def test_a_case_page_in_english_speaks_english(sign_in: SignIn, csrf: Csrf) -> None:
    """The domain's words too: channel, kind, status and timeline (they used to stay Italian)."""
    caller = sign_in("torino.centralino")
    path = register(caller, csrf)
    caller.get("/lingua", params={"to": "en", "next": path})
    page = page_with(caller, path, "Assigned")
    facts = page.split('id="case-facts"', 1)[1].split("</dl>", 1)[0]
    assert "Voicemail" in facts and "Complaint" in facts
    assert "Segreteria telefonica" not in page and "Reclamo" not in facts
    timeline = page.split('id="timeline"', 1)[1]
    assert "Received" in timeline and "Ricevuta" not in timeline


def test_sign_out_ends_the_session(sign_in: SignIn, csrf: Csrf) -> None:
    client = sign_in("torino.supervisore")
    token = csrf(client.get("/code/open").text)
    out = client.post("/esci", data={"csrf_token": token})
    assert out.status_code == 303 and "/logout" in out.headers["location"]
    assert client.get("/code/open").status_code == 303
