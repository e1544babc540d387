"""The citizen's side in a real Chromium, against the five services as separate processes.

A citizen reports on the Torino site, confirms from the link in the mail sink, follows the case
as an office takes it in charge and closes it, and rates it 4 stars from the closing message's
link; the rating reaches sla-svc's satisfaction figures. axe-core checks every page.
Debian's Chromium (/usr/bin/chromium) through Playwright; screenshots in .data/screenshots/.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sportello_devstack.mailsink import read_mails
from sportello_devstack.stack import Stack
from sportello_devstack.testing import eventually_sync as eventually

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

ROOT = Path(__file__).parents[2]
SHOTS = ROOT / ".data" / "screenshots"
AXE = (ROOT / "node_modules" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
EMAIL = "lucia.ferrero@example.org"
OUTCOME = "I cassonetti sono stati svuotati e sanificati il 4 dicembre."


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack.on_free_ports(
        tmp_path_factory.mktemp("citizen"),
        sites=("public",),
        extra_env={"RELAY_POLL_INTERVAL": "0.05", "SLA_SWEEP_INTERVAL": "0.5"},
    ).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # bypass_csp only so that the test can inject axe-core; the site's CSP is checked apart
    context = browser.new_context(bypass_csp=True, locale="it-IT")
    yield context.new_page()
    context.close()


def check(page: Page, name: str) -> None:
    """axe-core on the page (no serious or critical violation), then a screenshot."""
    page.add_script_tag(content=AXE)
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa']})"
    )
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, [(v["id"], v["help"], [n["html"] for n in v["nodes"]][:3]) for v in bad]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def mails_to(stack: Stack, address: str, subject: str) -> list[Message]:
    return [
        m
        for m in read_mails(stack.mail_dir)
        if address in (m["To"] or "") and subject in str(make_header(decode_header(m["Subject"])))
    ]


def body_of(mail: Message) -> str:
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(mail.get_content_charset() or "utf-8")


def link_in(mail: Message, path: str) -> str:
    found = re.search(rf"http://127\.0\.0\.1:\d+{path}[A-Za-z0-9_-]+", body_of(mail))
    assert found, body_of(mail)
    return found.group(0)


def case_id_of(stack: Stack, reference: str) -> str:
    """The office finds the case by the reference the citizen quotes."""
    found = httpx.get(
        f"{stack.url('intake')}/cases", params={"tenant": "torino", "reference": reference}
    ).json()["items"]
    assert [item["reference"] for item in found] == [reference], found
    return str(found[0]["case_id"])


def office(stack: Stack, case_id: str, command: str, body: dict[str, str]) -> None:
    response = httpx.post(f"{stack.url('intake')}/cases/{case_id}/{command}", json=body, timeout=10)
    assert response.status_code == 200, response.text


def status_shows(page: Page, text: str) -> bool:
    page.reload()
    return text in page.inner_text("main")


def test_a_citizen_reports_follows_and_rates_a_case(stack: Stack, page: Page) -> None:
    site = stack.url("public")
    page.goto(f"{site}/torino/segnala")
    assert page.get_attribute("html", "lang") == "it"
    assert page.locator('[data-element="report-inefficiency"]').count() == 1
    check(page, "01-privacy")
    page.locator('label[for="privacy"]').click()  # Bootstrap Italia draws the box on the label
    page.get_by_role("button", name="Avanti").click()

    page.get_by_label("Luogo").fill("Via Garibaldi 20, Torino")
    page.get_by_label("Categoria").select_option("decoro_pulizia")
    page.get_by_label("Titolo").fill("Cassonetti traboccanti")
    page.get_by_label("Dettagli").fill(
        "I cassonetti davanti al civico 20 non sono svuotati da giorni."
    )
    page.get_by_label("Nome e cognome").fill("Lucia Ferrero")
    page.get_by_label("Indirizzo e-mail").fill("not-an-address")
    page.get_by_role("button", name="Avanti").click()
    assert "L'indirizzo e-mail non è valido." in page.inner_text("main")
    assert page.get_by_label("Titolo").input_value() == "Cassonetti traboccanti"
    check(page, "02-report-with-an-error")
    page.get_by_label("Indirizzo e-mail").fill(EMAIL)
    page.get_by_role("button", name="Avanti").click()

    assert "Passo 3 di 3" in page.inner_text("main")
    check(page, "03-summary")
    page.get_by_role("button", name="Invia").click()
    assert "Conferma il tuo indirizzo e-mail" in page.inner_text("main")
    check(page, "04-check-your-mail")

    (confirmation,) = eventually(lambda: mails_to(stack, EMAIL, "Conferma la tua segnalazione"))
    page.goto(link_in(confirmation, "/torino/segnala/conferma/"))
    check(page, "05-confirm")
    page.get_by_role("button", name="Conferma e invia la segnalazione").click()
    main = page.inner_text("main")
    reference = re.search(r"TO-\d{4}-\d{6}", main)
    assert reference and "registrata con il numero" in main
    follow_page = page.url.split("?")[0]
    check(page, "06-acknowledged")

    (ack,) = eventually(lambda: mails_to(stack, EMAIL, "è stata ricevuta"))
    assert link_in(ack, "/torino/segnalazioni/") == follow_page  # the mail's follow link
    assert "Open311" not in body_of(ack)  # the reference only, never the case's id (issue 26)
    case_id = case_id_of(stack, reference.group(0))

    # Torino is triage-first: the Contact Center takes it in charge, forwards it to the
    # Reparto, gets its answer and closes it with the outcome
    contact_center = "Assegnata a Contact Center \u2013 Corpo di Polizia Municipale"
    eventually(lambda: status_shows(page, contact_center))
    office(stack, case_id, "take-in-charge", {"operator": "cc.rossi"})
    eventually(lambda: status_shows(page, "Presa in carico"))
    check(page, "07-taken-in-charge")
    office(stack, case_id, "forward", {"actor": "cc.rossi"})
    eventually(lambda: status_shows(page, "Reparto 5"))
    office(stack, case_id, "office-answer", {"answer": "Svuotati", "actor": "reparto5.rossi"})
    office(stack, case_id, "close", {"outcome": OUTCOME, "actor": "cc.rossi"})
    eventually(lambda: status_shows(page, f"Chiusa: {OUTCOME}"))
    check(page, "08-closed")

    (closing,) = eventually(lambda: mails_to(stack, EMAIL, "è stata chiusa"))
    assert follow_page in body_of(closing)  # "not solved?" leads back to the status page
    survey = link_in(closing, "/torino/valutazione/")
    page.goto(survey)
    assert page.locator('[data-element="feedback"]').count() == 1
    for n in range(1, 6):
        assert page.locator(f'[data-element="feedback-rate-{n}"]').count() == 1
    check(page, "09-rating")
    page.locator('label[for="star4"]').click()
    with page.expect_navigation():  # a plain form post: its answer is the next page
        page.get_by_role("button", name="Avanti").click()
    assert page.locator('[data-element="feedback-rating-positive"]').count() == 1
    page.locator('label[for="reason-cortese"]').click()
    page.locator('[data-element="feedback-input-text"]').fill("Grazie, intervento rapido.")
    check(page, "10-rating-follow-up")
    with page.expect_navigation():
        page.get_by_role("button", name="Invia").click()
    assert "Grazie, il tuo parere" in page.inner_text("main")
    check(page, "11-thanks")
    page.goto(survey)
    assert "Hai già risposto" in page.inner_text("main")  # one answer per survey

    def rated() -> list[dict[str, Any]]:
        report = httpx.get(
            f"{stack.url('sla')}/reports/compliance", params={"tenant": "torino"}, timeout=10
        ).json()
        return [s for s in report["satisfaction"] if s["distribution"].get("4")]

    (line,) = eventually(rated)
    # the Contact Center told the citizen the outcome: its rating
    assert (line["organization"], line["answers"], line["average"]) == ("contact-center", 1, 4.0)

    # "not solved?": within the window the citizen asks, the URP reopens, routing routes again
    page.goto(follow_page)
    page.get_by_label("Perché il problema non è risolto?").fill("Pieno")
    page.get_by_role("button", name="Chiedi di riaprire").click()
    assert "almeno 10 caratteri" in page.inner_text("main")
    assert page.get_by_label("Perché il problema non è risolto?").input_value() == "Pieno"
    page.get_by_label("Perché il problema non è risolto?").fill(
        "Il giorno dopo erano di nuovo pieni."
    )
    page.get_by_role("button", name="Chiedi di riaprire").click()
    assert "Hai chiesto di riaprire la segnalazione" in page.inner_text("main")
    check(page, "12-reopen-requested")
    office(stack, case_id, "reopen", {"reason": "Richiesta del cittadino accolta"})
    eventually(lambda: status_shows(page, "Riaperta: Richiesta del cittadino accolta"))
    # routing's reopen path; the history above already says "Assegnata": the status itself
    eventually(lambda: status_shows(page, "") and page.inner_text("#case-status") == "Assegnata")
    # and the history says where the reopened case went (newest first): back to the Contact Center
    newest = page.locator("#history li").first.inner_text()
    assert "Assegnata a Contact Center" in newest, newest
    check(page, "13-reopened")

    # the case by its reference: only with the e-mail given with it, nothing said otherwise
    page.goto(f"{site}/torino/segnalazioni")
    for ref, email in ((reference.group(0), "altro@example.org"), ("TO-2026-999999", EMAIL)):
        page.get_by_label("Numero della segnalazione").fill(ref)
        page.get_by_label("Indirizzo e-mail indicato nella segnalazione").fill(email)
        page.get_by_role("button", name="Cerca").click()
        expect(page.locator("main")).to_contain_text("Nessuna segnalazione corrisponde")
    check(page, "14-lookup-no-match")
    page.get_by_label("Numero della segnalazione").fill(reference.group(0))
    page.get_by_label("Indirizzo e-mail indicato nella segnalazione").fill(EMAIL.upper())
    page.get_by_role("button", name="Cerca").click()
    expect(page).to_have_url(follow_page)


def test_the_site_sends_a_strict_csp_and_no_inline_script(stack: Stack) -> None:
    page = httpx.get(f"{stack.url('public')}/torino/segnala", timeout=10)
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert re.search(r"<script(?![^>]*\bsrc=)", page.text) is None
    assert re.search(r"\sstyle=", page.text) is None
