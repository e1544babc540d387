"""The status, lookup and rating pages in TestClient, against intake, routing, sla and notify
running as processes (devstack's Stack): nothing of theirs is imitated."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sportello_devstack.mailsink import read_mails
from sportello_devstack.open311_keys import key_for
from sportello_devstack.stack import Stack
from sportello_devstack.testing import eventually_sync as eventually
from sportello_public.main import PublicSettings, build

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
ROOT = Path(__file__).parents[4]
REPORT = {
    "category": "decoro_pulizia",
    "title": "Cassonetti traboccanti",
    "details": "I cassonetti di via Roma 12 non vengono svuotati da una settimana.",
    "citizen": {"name": "Maria Rossi", "email": "maria.rossi@example.org"},
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack.on_free_ports(
        tmp_path_factory.mktemp("pages"), extra_env={"RELAY_POLL_INTERVAL": "0.05"}
    ).start()
    yield running
    running.stop()


@pytest.fixture
def site(stack: Stack, tmp_path: Path) -> Iterator[TestClient]:
    env = stack.public_site_env()
    settings = PublicSettings(
        SPORTELLO_TENANTS_DIR=str(ROOT / "deploy" / "tenants"),
        SPORTELLO_DATA_DIR=str(tmp_path),
        PUBLIC_SECRET_KEY="test-secret",
        **env,
    )  # type: ignore[arg-type]
    with TestClient(build(settings)) as client:
        yield client


def report(stack: Stack, submission: str, email: str) -> dict[str, Any]:
    key = key_for(stack.data_dir, "torino", client="public-site")
    body = REPORT | {"submission_id": submission, "citizen": REPORT["citizen"] | {"email": email}}
    response = httpx.post(
        f"{stack.url('intake')}/citizen/v1/torino/reports",
        json=body,
        headers={"X-Api-Key": str(key)},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def csrf(site: TestClient) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', site.get("/torino/segnalazioni").text)
    assert match
    return match.group(1)


def alert(html: str) -> str:
    found = re.search(r'<div class="alert[^"]*" role="alert">(.*?)</div>', html, re.S)
    return found.group(1).strip() if found else ""


def test_a_reference_without_its_email_reveals_nothing(stack: Stack, site: TestClient) -> None:
    ack = report(stack, "pages-lookup-0001", "lookup@example.org")

    def look(reference: str, email: str) -> httpx.Response:
        form = {"reference": reference, "email": email, "csrf_token": csrf(site)}
        return site.post("/torino/segnalazioni", data=form, follow_redirects=False)

    found = eventually(
        lambda: (r := look(ack["reference"], "Lookup@Example.org")).is_redirect and r
    )
    assert found.headers["location"] == f"/torino/segnalazioni/{ack['follow_token']}"
    wrong_email = look(ack["reference"], "someone@example.org")
    no_case = look("TO-2099-999999", "lookup@example.org")
    assert wrong_email.status_code == no_case.status_code == 404
    assert alert(wrong_email.text) == alert(no_case.text) != ""
    assert 'value="someone@example.org"' in wrong_email.text  # what was typed stays

    page = site.get(f"/torino/segnalazioni/{ack['follow_token']}")
    assert page.status_code == 200 and ack["reference"] in page.text
    assert "Decoro e pulizia della città" in page.text and "Ricevuta" in page.text
    assert site.get("/torino/segnalazioni/" + "A" * 32).status_code == 404


def test_a_survey_takes_one_answer(stack: Stack, site: TestClient) -> None:
    email = "survey@example.org"
    ack = report(stack, "pages-survey-0001", email)
    intake = stack.url("intake")
    eventually(lambda: httpx.get(f"{intake}/cases/{ack['case_id']}").json()["status"] == "assigned")
    for command, body in (
        ("take-in-charge", {"operator": "r5"}),
        ("close", {"outcome": "Svuotati.", "actor": "r5"}),
    ):
        assert (
            httpx.post(f"{intake}/cases/{ack['case_id']}/{command}", json=body).status_code == 200
        )

    def closing() -> list[Any]:
        return [
            m
            for m in read_mails(stack.mail_dir)
            if m["To"] == email and "chiusa" in str(make_header(decode_header(m["Subject"])))
        ]

    (mail,) = eventually(closing)
    body = str(mail.get_payload(decode=True), "utf-8")
    link = re.search(r"http://\S+(/torino/valutazione/[A-Za-z0-9_-]+)", body)
    assert link, body
    path = link.group(1)

    stars = site.get(path)
    assert stars.status_code == 200 and 'data-element="feedback-rate-3"' in stars.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', stars.text)
    assert token
    none_chosen = site.post(path, data={"csrf_token": token.group(1)})
    assert none_chosen.status_code == 422 and "Scegli da 1 a 5 stelle." in none_chosen.text
    follow_up = site.post(path, data={"rating": "2", "csrf_token": token.group(1)})
    assert 'data-element="feedback-rating-negative"' in follow_up.text
    answer = {"rating": "2", "reason": ["lento", "cortese"], "comment": "<b>lenti</b>"}
    thanks = site.post(f"{path}/invia", data={**answer, "csrf_token": token.group(1)})
    assert thanks.status_code == 200 and "Grazie, il tuo parere" in thanks.text
    again = site.post(f"{path}/invia", data={**answer, "csrf_token": token.group(1)})
    assert again.status_code == 409 and "Hai già risposto" in again.text
    assert "Hai già risposto" in site.get(path).text
    assert "non è valido" in site.get("/torino/valutazione/" + "x" * 24).text


@pytest.mark.parametrize(
    "token",
    ["A" * 32, "abc", "x" * 200, "%3Cscript%3Ealert(1)%3C%2Fscript%3E", "..%2F..%2Fetc%2Fpasswd"],
)
def test_a_wrong_or_broken_follow_link_says_so_in_italian(site: TestClient, token: str) -> None:
    page = site.get(f"/torino/segnalazioni/{token}")
    assert page.status_code == 404
    assert '<html lang="it"' in page.text and "Traceback" not in page.text
    assert "Nessuna segnalazione corrisponde a questo link." in page.text
    assert "controlla di averlo copiato" in page.text  # what to do about it
    assert 'href="/torino/segnalazioni" id="message-lookup"' in page.text
    assert "<script>alert(1)" not in page.text


def test_a_declined_reopen_request_is_explained_on_the_status_page(
    stack: Stack, site: TestClient
) -> None:
    ack = report(stack, "pages-declined-0001", "declined@example.org")
    intake, case = stack.url("intake"), f"{stack.url('intake')}/cases/{ack['case_id']}"
    eventually(lambda: httpx.get(case).json()["status"] == "assigned")
    for command, body in (("take-in-charge", {"operator": "r5"}), ("close", {"outcome": "Fatto."})):
        assert httpx.post(f"{case}/{command}", json=body).status_code == 200
    key = {"X-Api-Key": str(key_for(stack.data_dir, "torino", client="public-site"))}
    asked = httpx.post(
        f"{intake}/citizen/v1/torino/cases/{ack['follow_token']}/reopen-request",
        json={"reason": "I cassonetti sono ancora pieni."},
        headers=key,
    )
    assert asked.status_code == 202, asked.text
    reason = "Il servizio di raccolta ha svuotato i cassonetti il 5 dicembre."
    declined = httpx.post(f"{case}/reopen-request/decline", json={"reason": reason})
    assert declined.status_code == 200, declined.text
    page = site.get(f"/torino/segnalazioni/{ack['follow_token']}").text
    assert f"La richiesta di riapertura non è stata accolta: {reason}" in page


def test_updates_are_on_the_status_page_and_staff_notes_never(
    stack: Stack, site: TestClient
) -> None:
    ack = report(stack, "pages-updates-0001", "updates@example.org")
    case = f"{stack.url('intake')}/cases/{ack['case_id']}"
    eventually(lambda: httpx.get(case).json()["status"] == "assigned")
    note = "La cittadina è molto insistente: richiamare solo dopo le 17."
    assert httpx.post(f"{case}/note", json={"note": note}).status_code == 200
    update = "Il sopralluogo dei tecnici è fissato per lunedì mattina."
    assert httpx.post(f"{case}/update-citizen", json={"message": update}).status_code == 200
    page = site.get(f"/torino/segnalazioni/{ack['follow_token']}").text
    assert f"Aggiornamento: {update}" in page
    assert "insistente" not in page and "richiamare" not in page
