"""The second round in a real Chromium: duplicates while the caller types, the case page that
follows the case live, reply templates, the URP declining a reopen request, the admin's erasure,
finding by contact; axe-core on each page, screenshots under .data/screenshots/."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, expect
from sportello_devstack.open311_keys import key_for
from sportello_devstack.stack import Stack

from .test_browser import (
    accessibility_problems,
    fill_new_case,
    open_form,
    open_user,
    registered_reference,
    shot,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def test_duplicates_show_while_the_caller_types(browser: Browser, web_stack: Stack) -> None:
    caller = open_user(browser, web_stack, "torino.centralino")
    fill_new_case(caller, category="decoro_pulizia", email="doppio@example.org")
    caller.fill("#address", "Via Po 3, Torino")
    first = registered_reference(caller)
    caller.goto("/segnalazioni/nuova")
    expect(caller.locator("#duplicates-waiting")).to_be_visible()
    caller.fill("#citizen_email", "doppio@example.org")
    caller.keyboard.press("Tab")  # the change event: htmx asks intake, no reload
    found = caller.locator("#duplicates-found")
    expect(found).to_contain_text(first)
    expect(found).to_contain_text("stesso cittadino")
    caller.fill("#citizen_name", "Mario Rossi")
    shot(caller, "10-new-case-duplicates")
    problems = accessibility_problems(caller)
    assert problems == [], problems
    assert caller.errors == [], caller.errors  # type: ignore[attr-defined]


def test_the_case_page_follows_the_case_and_the_urp_declines_reopening(
    browser: Browser, web_stack: Stack
) -> None:
    caller = open_user(browser, web_stack, "torino.centralino")
    fill_new_case(caller, category="reclami_polizia_municipale", email="vivo@example.org")
    caller.fill("#citizen_phone", "+39 347 5550101")  # erased at the end: this citizen's own
    reference = registered_reference(caller)
    case_path = "/" + caller.url.split("/", 3)[3].split("?")[0]
    watching = open_user(browser, web_stack, "torino.pm-reparto-6")
    watching.goto(case_path)
    expect(watching.locator("#case-status")).to_contain_text("Assegnata", timeout=10000)
    open_form(watching, "request-reassignment")
    watching.fill("#request-reassignment-reason", "scritto e non inviato")
    acting = open_user(browser, web_stack, "torino.pm-reparto-6")
    acting.goto(case_path)
    acting.click("#action-take-in-charge button")
    expect(acting.locator("#done")).to_be_visible()
    # the other page changes by itself, and keeps what was typed in its forms
    expect(watching.locator("#case-status")).to_contain_text("Presa in carico", timeout=2000)
    expect(watching.locator("#status-changed")).to_be_visible()
    expect(watching.locator("#request-reassignment-reason")).to_have_value("scritto e non inviato")
    expect(watching.locator("#request-reassignment-reason")).to_be_visible()  # still open
    shot(watching, "11-case-page-live")
    open_form(acting, "close")
    acting.select_option("#close-reply", "reclamo-esaminato")
    expect(acting.locator("#close-outcome")).to_have_value(
        f"Gentile cittadina, gentile cittadino, il suo reclamo {reference} è stato esaminato dal "
        "Comando. Abbiamo ricostruito quanto accaduto e adottato le misure necessarie perché non "
        "si ripeta. Ci scusiamo per il disagio."
    )
    shot(acting, "12-close-with-reply-template")
    acting.click("#action-close button")
    expect(acting.locator("#case-status")).to_contain_text("Chiusa")
    ask_to_reopen(web_stack, reference, "vivo@example.org")
    urp = open_user(browser, web_stack, "torino.supervisore")
    urp.goto("/code/reopen_requests")
    row = urp.locator("tr", has_text=reference)
    expect(row).to_be_visible(timeout=5000)
    shot(urp, "13-reopen-requests-queue")
    row.locator("a").click()
    expect(urp.locator("#reopen-request")).to_contain_text("ancora lì")
    report = {"reopen panel": accessibility_problems(urp)}
    shot(urp, "14-reopen-request-panel")
    open_form(urp, "decline-reopen")
    urp.fill("#decline-reopen-reason", "Il Reparto ha verificato: il veicolo è stato rimosso.")
    urp.click("#action-decline-reopen button")
    expect(urp.locator("#done")).to_contain_text("Riapertura rifiutata")
    expect(urp.locator("#timeline")).to_contain_text("il veicolo è stato rimosso")
    caller.goto("/cerca")
    caller.fill("#find-email", "VIVO@example.org")
    caller.click("#contact-search")
    expect(caller.locator("#contact-results")).to_contain_text(reference)
    report["find by contact"] = accessibility_problems(caller)
    shot(caller, "16-find-by-contact")
    admin = open_user(browser, web_stack, "admin")
    admin.goto(case_path)
    admin.click("#action-erase a")
    expect(admin.locator("#erase-form")).to_be_visible()
    report["erasure"] = accessibility_problems(admin)
    shot(admin, "15-erasure-confirmation")
    admin.click("#erase-button")  # not confirmed: nothing erased, the box is pointed out
    expect(admin.locator("#confirm-error")).to_be_visible()
    shot(admin, "15b-erasure-not-confirmed")
    admin.click("label[for=confirm]")  # Bootstrap Italia draws the box in the label
    expect(admin.locator("#confirm")).to_be_checked()
    admin.click("#erase-button")
    expect(admin.locator("#done")).to_contain_text("Dati personali cancellati")
    expect(admin.locator("#case-description")).to_have_text("[dati personali cancellati]")
    admin.goto("/cerca")
    admin.fill("#find-email", "vivo@example.org")
    admin.click("#contact-search")
    expect(admin.locator("#contact-total")).to_contain_text("0 pratiche")
    assert all(not problems for problems in report.values()), report
    for page in (caller, watching, acting, urp, admin):
        assert page.errors == [], page.errors  # type: ignore[attr-defined]


def ask_to_reopen(stack: Stack, reference: str, email: str) -> None:
    """What the citizens' site does for the citizen (its platform key, their link)."""
    site = {"X-Api-Key": str(key_for(stack.data_dir, "torino", client="public-site"))}
    citizen = f"{stack.url('intake')}/citizen/v1/torino"
    lookup = {"reference": reference, "email": email}
    token = httpx.post(f"{citizen}/lookup", json=lookup, headers=site).json()["follow_token"]
    ask = {"reason": "L'auto è ancora lì davanti al passo carraio."}
    asked = httpx.post(f"{citizen}/cases/{token}/reopen-request", json=ask, headers=site)
    assert asked.status_code == 202, asked.text
