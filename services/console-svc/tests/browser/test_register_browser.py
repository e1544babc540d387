"""The URP's register and yearly report in a real Chromium, with the whole system as processes:
the supervisor records a cause and a corrective action on a breach; axe-core on every new page
(and its forms with errors); screenshots under .data/screenshots/."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sportello_devstack.stack import Stack
from sportello_web.dates import ROME

from .test_browser import open_user, shot

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

ROOT = Path(__file__).resolve().parents[4]
SHOTS = ROOT / ".data" / "screenshots"
AXE = (ROOT / "node_modules" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
RECEIVED = datetime.now(ROME) - timedelta(days=10)  # Torino's 24-hour callback: long breached
CALLBACK = "Richiamata dalla casella vocale entro 24 ore"


def accessibility_problems(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the console's page. The yearly report's
    frame is sla-svc's document, sandboxed without scripts: axe cannot run in it, so frames are
    left out (the frame element itself, its title, is checked)."""
    page.evaluate(AXE)
    result = page.evaluate("async () => (await axe.run(document, {iframes: false})).violations")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


def register_late_voicemail(page: Page) -> str:
    """Torino's call-taker registers a voicemail left ten days ago; returns the reference."""
    page.goto("/segnalazioni/nuova")
    page.select_option("#category", "reclami_polizia_municipale")
    page.select_option("#kind", "reclamo")
    page.select_option("#channel", "voicemail")
    page.fill("#received_at", RECEIVED.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#citizen_name", "Mario Rossi")
    page.fill("#citizen_phone", "+39 333 1234567")
    page.fill("#description", "Nessuno ha richiamato dopo il messaggio")
    page.click("#save-button")
    expect(page.locator("#reference-large")).to_be_visible()
    return page.locator("#reference-large").inner_text().strip()


def breach_row(page: Page, reference: str) -> Any:
    """The callback standard's breach in the register, once sla-svc's sweep has breached it
    (the case breaches its five-working-day first contact too)."""
    row = page.locator("#register tr", has_text=reference).filter(has_text=CALLBACK)
    for _ in range(60):
        page.goto(f"/anomalie?anno={RECEIVED.year}")
        if row.count():
            return row
        page.wait_for_timeout(500)
    raise AssertionError(f"{reference} never appeared in the register")


def test_the_urp_records_a_cause_and_an_action_on_a_breach(
    browser: Browser, web_stack: Stack
) -> None:
    reference = register_late_voicemail(open_user(browser, web_stack, "torino.centralino"))
    urp = open_user(browser, web_stack, "torino.supervisore")
    urp.goto("/cruscotto")
    urp.click("#dash-register-links >> text=Registro delle anomalie e azioni correttive")
    row = breach_row(urp, reference)
    expect(row).to_contain_text("Standard non rispettato")
    expect(row).to_contain_text("da registrare")
    report: dict[str, list[dict[str, Any]]] = {"/anomalie": accessibility_problems(urp)}
    shot(urp, "urp-01-register")
    row.locator("th a").click()
    expect(urp.locator("#anomaly-title")).to_contain_text(CALLBACK)
    report["/anomalie/{id}"] = accessibility_problems(urp)
    typed = "Casella non ascoltata, richiamare mario.rossi@example.org"
    urp.fill("#cause", typed)
    urp.click("#cause-save")
    expect(urp.locator("#cause-error")).to_contain_text("indirizzo e-mail")
    expect(urp.locator("#error-summary a[href='#cause']")).to_be_visible()
    expect(urp.locator("#cause")).to_have_value(typed)  # what was typed is kept
    expect(urp.locator("#cause")).to_have_attribute("aria-invalid", "true")
    report["/anomalie/{id} (cause refused)"] = accessibility_problems(urp)
    shot(urp, "urp-02-cause-refused")
    urp.fill("#cause", "Casella vocale non ascoltata durante il turno festivo")
    urp.click("#cause-save")
    expect(urp.locator("#done")).to_have_text("Causa registrata.")
    expect(urp.locator("#anomaly-cause")).to_have_text(
        "Casella vocale non ascoltata durante il turno festivo"
    )
    urp.fill("#description", "Ascolto della casella anche nei turni festivi")
    urp.select_option("#status", "in_progress")
    urp.fill("#due", f"{RECEIVED.year + 1}-01-31")
    urp.click("#action-add")
    expect(urp.locator("#done")).to_have_text("Azione correttiva aggiunta.")
    expect(urp.locator("#action-1")).to_contain_text("Ascolto della casella anche nei turni")
    expect(urp.locator("#action-1-status")).to_have_value("in_progress")
    urp.select_option("#action-1-status", "done")
    urp.click("#status-1-form button")
    expect(urp.locator("#done")).to_have_text("Stato dell'azione aggiornato.")
    expect(urp.locator("#action-1-status")).to_have_value("done")
    report["/anomalie/{id} (with an action)"] = accessibility_problems(urp)
    shot(urp, "urp-03-anomaly-with-cause-and-action")
    urp.click("#back-to-register")
    row = urp.locator("#register tr", has_text=reference).filter(has_text=CALLBACK)
    expect(row).to_contain_text("Casella vocale non ascoltata")
    expect(row).to_contain_text("0 aperte su 1")
    urp.select_option("#filter-progress", "open")
    urp.click("#filter-button")
    expect(urp.locator("#register tr", has_text=reference).filter(has_text=CALLBACK)).to_have_count(
        0
    )
    report.update(new_anomaly_form(urp))
    report.update(yearly_report(urp))
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "urp-axe-report.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    assert all(not problems for problems in report.values()), report
    assert urp.errors == [], urp.errors  # type: ignore[attr-defined]


def new_anomaly_form(urp: Page) -> dict[str, list[dict[str, Any]]]:
    report = {}
    urp.click("#new-anomaly")
    expect(urp.locator("h1")).to_contain_text("Registra un'anomalia")
    report["/anomalie/nuova"] = accessibility_problems(urp)
    urp.fill("#title", "Numero verde giù")
    urp.click("#record-anomaly")  # no start: the form with its errors
    expect(urp.locator("#error-summary")).to_be_visible()
    expect(urp.locator("#started_at-error")).to_be_visible()
    expect(urp.locator("#title")).to_have_value("Numero verde giù")
    report["/anomalie/nuova (errors)"] = accessibility_problems(urp)
    shot(urp, "urp-04-new-anomaly-errors")
    start = (datetime.now(ROME) - timedelta(days=1)).replace(hour=9, minute=0)
    urp.fill("#started_at", start.strftime("%Y-%m-%dT%H:%M"))
    urp.click("#record-anomaly")
    expect(urp.locator("#done")).to_have_text("Anomalia registrata.")
    expect(urp.locator("#anomaly-end")).to_have_text("in corso")
    return report


def yearly_report(urp: Page) -> dict[str, list[dict[str, Any]]]:
    report = {}
    urp.click("#nav-annual")
    expect(urp.locator("#annual-status")).to_have_text("Bozza")
    digest = urp.locator("#annual-digest").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    frame = urp.frame_locator("#annual-frame")
    expect(frame.locator("h1")).to_be_visible(timeout=30000)  # drawn on demand (charts), framed
    report["/relazione-annuale"] = accessibility_problems(urp)
    with urp.expect_download() as download:
        urp.click("#download-csv")
    assert download.value.suggested_filename.endswith(".csv")
    shot(urp, "urp-05-annual-draft")
    urp.click("#publish")
    expect(urp.locator("#publish-digest")).to_have_text(digest)
    report["/relazione-annuale/{year}/pubblica"] = accessibility_problems(urp)
    shot(urp, "urp-06-annual-confirm")
    urp.click("#publish-confirm")
    expect(urp.locator("#published-done")).to_be_visible()
    expect(urp.locator("#annual-status")).to_have_text("Pubblicata")
    expect(urp.locator("#public-url")).to_contain_text("/public/reports/annual/torino/")
    report["/relazione-annuale (published)"] = accessibility_problems(urp)
    shot(urp, "urp-07-annual-published")
    # the frame, as the reader sees it (a full-page capture leaves sandboxed frames blank)
    expect(urp.frame_locator("#annual-frame").locator("h1")).to_be_visible()
    urp.locator("#annual-frame").scroll_into_view_if_needed()
    urp.wait_for_timeout(500)  # the frame painted
    urp.screenshot(path=str(SHOTS / "urp-08-annual-frame.png"))
    return report
