"""Casale's procedures in a real Chromium (issue 18 points 2 and 6), the URP triage-first: the
URP's call-taker registers an application for the idoneità alloggiativa, protocols it, takes it
in charge and forwards it; the Polizia Locale schedules the inspection, uploads its verbale and
answers the URP; the URP issues the attestation and closes, each with the case page's forms;
axe-core on the page."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect
from sportello_devstack.stack import Stack
from sportello_devstack.testing import eventually_sync as eventually

from .test_browser import (
    accessibility_problems,
    fill_new_case,
    open_form,
    open_user,
    registered_reference,
    shot,
    watched,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
HOUSING = "attestazione_idoneita_alloggiativa"


def test_an_attestation_through_the_console_forms(
    browser: Browser, web_stack: Stack, tmp_path: Path
) -> None:
    urp = open_user(browser, web_stack, "casale-monferrato.centralino")
    fill_new_case(urp, category=HOUSING, kind="richiesta_intervento", email="alloggio@example.org")
    reference = registered_reference(urp)
    case_path = "/" + urp.url.split("/", 3)[3].split("?")[0]
    urp.goto(case_path)
    open_form(urp, "protocol")
    expect(urp.locator("#action-schedule-inspection")).to_have_count(0)  # the office's step
    urp.click("#action-protocol button")  # no number typed: the register gives it
    expect(urp.locator("#done")).to_be_visible()
    year = datetime.now(ZoneInfo("Europe/Rome")).year
    expect(urp.locator("#case-protocol")).to_contain_text(f"{year}/")
    expect(urp.locator("#action-protocol")).to_have_count(0)  # once only

    # triage-first: the case is the URP's; it takes it in charge and forwards it (the rules'
    # office: the Polizia Locale)
    expect(urp.locator("#case-status")).to_contain_text("Assegnata", timeout=20000)
    urp.reload()
    urp.click("#action-take-in-charge button")
    expect(urp.locator("#done")).to_be_visible()
    expect(urp.locator("#action-schedule-inspection")).to_have_count(0)
    expect(urp.locator("#action-issue-attestation")).to_have_count(0)  # after the answer
    open_form(urp, "forward")
    expect(urp.locator("#forward-to")).to_have_value("")  # the rules' office by default
    urp.click("#action-forward button")
    expect(urp.locator("#case-status")).to_contain_text("Inoltrata all'ufficio")

    police = open_user(browser, web_stack, "casale-monferrato.polizia-locale")

    def forwarded_to_the_police() -> bool:  # routing's decision reaches the case page
        police.goto(case_path)
        return police.locator("#action-schedule-inspection").count() == 1

    eventually(forwarded_to_the_police, timeout=30)
    expect(police.locator("#action-report-inspection")).to_have_count(0)
    expect(police.locator("#action-issue-attestation")).to_have_count(0)  # the URP's step
    open_form(police, "schedule-inspection")
    police.fill("#schedule-inspection-scheduled_for", "2026-12-15T09:30")
    police.fill("#schedule-inspection-inspector", "Pattuglia PL 3")
    police.click("#action-schedule-inspection button")
    expect(police.locator("#done")).to_be_visible()
    expect(police.locator("#case-inspection")).to_contain_text("15/12/2026 09:30")

    verbale = tmp_path / "verbale.pdf"
    verbale.write_bytes(b"%PDF-1.4\n% verbale di sopralluogo: alloggio idoneo\n")
    open_form(police, "report-inspection")
    police.set_input_files("#report-inspection-report", str(verbale))
    police.select_option("#report-inspection-finding", "idoneo")
    police.click("#action-report-inspection button")
    expect(police.locator("#done")).to_be_visible()
    expect(police.locator("#case-inspection")).to_contain_text("Alloggio idoneo")
    expect(police.locator("#action-issue-attestation")).to_have_count(0)
    # a second tab of the office's stays on the case: once answered, it says the case has gone
    other_tab = watched(police.context.new_page())
    other_tab.goto(case_path)
    open_form(police, "office-answer")
    police.fill("#office-answer-answer", "Sopralluogo eseguito: alloggio idoneo, verbale allegato")
    police.click("#action-office-answer button")
    expect(police.locator("#done")).to_contain_text("la pratica torna al front office")
    expect(other_tab.locator("#case-gone")).to_contain_text("non è più di competenza")
    expect(other_tab.locator("#case-description")).to_have_count(0)  # nothing of the case
    expect(other_tab.locator("#action-office-answer")).to_have_count(0)  # nor its forms
    shot(other_tab, "29-case-gone")
    assert other_tab.errors == [], other_tab.errors  # type: ignore[attr-defined]

    # back with the URP: it issues the attestation and closes
    urp.reload()
    today = datetime.now(ZoneInfo("Europe/Rome")).date()
    open_form(urp, "issue-attestation")
    urp.fill("#issue-attestation-attestation_number", "IA-2026-0042")
    urp.fill("#issue-attestation-issued_on", today.isoformat())
    urp.fill("#issue-attestation-outcome", "L'attestazione è pronta allo sportello URP.")
    urp.click("#action-issue-attestation button")
    expect(urp.locator("#done")).to_be_visible()
    expect(urp.locator("#case-status")).to_contain_text("Risolta")
    expect(urp.locator("#case-attestation")).to_contain_text(f"IA-2026-0042 · {today:%d/%m/%Y}")
    for step in ("Protocollata", "Sopralluogo fissato", "Verbale di sopralluogo"):
        expect(urp.locator("#timeline")).to_contain_text(step)
    expect(urp.locator("#timeline")).to_contain_text("Attestazione rilasciata")
    assert reference in urp.locator("h1").inner_text()
    shot(urp, "30-casale-attestation")
    problems = accessibility_problems(urp)
    assert problems == [], problems
    open_form(urp, "close")
    urp.fill("#close-outcome", "Attestazione n. IA-2026-0042 consegnata allo sportello URP.")
    urp.click("#action-close button")
    expect(urp.locator("#case-status")).to_contain_text("Chiusa")
    assert urp.errors == [], urp.errors  # type: ignore[attr-defined]
    assert police.errors == [], police.errors  # type: ignore[attr-defined]
