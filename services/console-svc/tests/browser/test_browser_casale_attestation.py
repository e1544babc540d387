"""Casale's procedures in a real Chromium (issue 18 point 6): the URP's call-taker registers an
application for the idoneità alloggiativa and protocols it; the Polizia Locale takes it in
charge, schedules the inspection, uploads its verbale and issues the attestation, each with the
case page's forms; axe-core on the page."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect
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
    expect(urp.locator("#action-schedule-inspection")).to_have_count(0)  # not in its hands
    urp.click("#action-protocol button")  # no number typed: the register gives it
    expect(urp.locator("#done")).to_be_visible()
    year = datetime.now(ZoneInfo("Europe/Rome")).year
    expect(urp.locator("#case-protocol")).to_contain_text(f"{year}/")
    expect(urp.locator("#action-protocol")).to_have_count(0)  # once only

    police = open_user(browser, web_stack, "casale-monferrato.polizia-locale")
    police.goto(case_path)
    expect(police.locator("#case-status")).to_contain_text("Assegnata", timeout=20000)
    police.reload()
    police.click("#action-take-in-charge button")
    open_form(police, "schedule-inspection")
    expect(police.locator("#action-report-inspection")).to_have_count(0)
    expect(police.locator("#action-issue-attestation")).to_have_count(0)  # after the verbale
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

    open_form(police, "issue-attestation")
    police.fill("#issue-attestation-attestation_number", "IA-2026-0042")
    police.fill("#issue-attestation-issued_on", "2026-12-04")
    police.fill("#issue-attestation-outcome", "L'attestazione è pronta allo sportello URP.")
    police.click("#action-issue-attestation button")
    expect(police.locator("#done")).to_be_visible()
    expect(police.locator("#case-status")).to_contain_text("Risolta")
    expect(police.locator("#case-attestation")).to_contain_text("IA-2026-0042 · 04/12/2026")
    for step in ("Protocollata", "Sopralluogo fissato", "Verbale di sopralluogo"):
        expect(police.locator("#timeline")).to_contain_text(step)
    expect(police.locator("#timeline")).to_contain_text("Attestazione rilasciata")
    assert reference in police.locator("h1").inner_text()
    shot(police, "30-casale-attestation")
    problems = accessibility_problems(police)
    assert problems == [], problems
    assert urp.errors == [], urp.errors  # type: ignore[attr-defined]
    assert police.errors == [], police.errors  # type: ignore[attr-defined]
