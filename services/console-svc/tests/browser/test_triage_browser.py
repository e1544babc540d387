"""Issue 18 point 9 in a real Chromium: the triage recategorises a case and rejects one at the
door, and the on-call person acknowledges an urgent Marcallo case's alert from its page; axe-core
on each page, screenshots under .data/screenshots/ (and the case page under /tmp/).

The module's stack has Marcallo always out of office hours (conftest `night_stack`); the last
test stops routing (a case stays `received` only while routing is away)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sportello_devstack.stack import Stack

from .test_browser import accessibility_problems, open_form, open_user, shot

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

Register = Callable[..., str]
TMP_SHOTS = Path("/tmp/sportello-console-triage")


@pytest.fixture(scope="module")
def web_stack(night_stack: Stack) -> Stack:
    return night_stack


def screenshot(page: Page, name: str) -> None:
    shot(page, name)
    TMP_SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(TMP_SHOTS / f"{name}.png"), full_page=True)


def test_the_triage_recategorises_a_report_into_a_complaint(
    browser: Browser, web_stack: Stack, api_register: Register
) -> None:
    case_id = api_register("torino", "reclami_polizia_municipale", "segnalazione")
    caller = open_user(browser, web_stack, "torino.centralino")
    late = open_user(browser, web_stack, "torino.supervisore")  # the same case, opened before
    for page in (caller, late):
        page.goto(f"/segnalazioni/{case_id}")
        expect(page.locator("#case-status")).to_contain_text("Assegnata", timeout=20000)
        page.reload()
        open_form(page, "recategorise")
    expect(caller.locator("#recategorise-kind")).to_have_value("segnalazione")
    expect(caller.locator("#recategorise-kind option")).to_contain_text(["Segnalazione", "Reclamo"])
    report = {"form": accessibility_problems(caller)}
    caller.select_option("#recategorise-kind", "reclamo")
    caller.click("#action-recategorise button")
    expect(caller.locator("#done")).to_contain_text("Tipo o categoria cambiati")
    expect(caller.locator("#case-facts")).to_contain_text("Reclamo")
    expect(caller.locator("#timeline")).to_contain_text("Classificata")
    report["recategorised"] = accessibility_problems(caller)

    # the page opened before asks the same: intake refuses, the choice stays on the form
    late.select_option("#recategorise-kind", "reclamo")
    late.click("#action-recategorise button")
    expect(late.locator("#action-recategorise-error")).to_contain_text(
        "ha già questo tipo e questa categoria"
    )
    expect(late.locator("#section-recategorise")).to_have_attribute("open", "")  # in view
    expect(late.locator("#recategorise-kind")).to_have_value("reclamo")
    report["refused"] = accessibility_problems(late)
    shot(late, "22-recategorise-refused")
    assert all(not problems for problems in report.values()), report
    for page in (caller, late):
        assert page.errors == [], page.errors  # type: ignore[attr-defined]


def test_the_on_call_person_acknowledges_an_urgent_case_at_night(
    browser: Browser, web_stack: Stack, api_register: Register
) -> None:
    case_id = api_register("marcallo", "allagamenti")
    triage = open_user(browser, web_stack, "marcallo.centralino")
    triage.goto(f"/segnalazioni/{case_id}")
    expect(triage.locator("#case-status")).to_contain_text("Assegnata", timeout=20000)
    triage.reload()
    expect(triage.locator("#on-call-paged")).to_contain_text("Tecnico reperibile")
    expect(triage.locator("#open-recategorise")).to_be_visible()
    messages = triage.locator("#messages")
    expect(messages).to_contain_text("Allerta al reperibile")  # the SMS, in the staff's words
    expect(triage.locator("main")).not_to_contain_text("msg.")
    report = {"triage": accessibility_problems(triage)}
    screenshot(triage, "23-urgent-case-on-call-and-recategorise")

    office = open_user(browser, web_stack, "marcallo.ufficio-tecnico")
    office.goto(f"/segnalazioni/{case_id}")
    panel = office.locator("#on-call")
    expect(panel).to_contain_text("In attesa che un reperibile risponda")
    office.click("#action-on-call-acknowledge button")
    expect(office.locator("#done")).to_contain_text("nessun altro della reperibilità")
    expect(office.locator("#on-call-state")).to_contain_text("Presa in carico dal reperibile")
    expect(office.locator("#action-on-call-acknowledge")).to_have_count(0)
    report["acknowledged"] = accessibility_problems(office)
    shot(office, "24-on-call-acknowledged")

    # the triage's page, opened before: the button is still there, notify says who did it
    triage.click("#action-on-call-acknowledge button")
    expect(triage.locator("#on-call-error")).to_be_visible()
    report["refused"] = accessibility_problems(triage)
    assert all(not problems for problems in report.values()), report
    for page in (triage, office):
        assert page.errors == [], page.errors  # type: ignore[attr-defined]


def test_the_triage_rejects_a_case_at_the_door(
    browser: Browser, web_stack: Stack, api_register: Register
) -> None:
    web_stack.kill("routing")  # nobody routes it: the case stays as registered
    case_id = api_register("torino", "decoro_pulizia")
    caller = open_user(browser, web_stack, "torino.centralino")
    caller.goto(f"/segnalazioni/{case_id}")
    open_form(caller, "reject")
    expect(caller.locator("#reject-hint")).to_contain_text("112")
    expect(caller.locator("#case-live")).not_to_contain_text("(, )")  # no coordinates: none
    expect(caller.locator("#open-recategorise")).to_be_visible()
    report = {"form": accessibility_problems(caller)}
    screenshot(caller, "25-received-case-reject-form")
    caller.fill("#reject-reason", "Emergenza: chiamare il 112")
    caller.click("#action-reject button")
    expect(caller.locator("#done")).to_contain_text("Respinta all'ingresso")
    expect(caller.locator("#case-status")).to_contain_text("Respinta")
    expect(caller.locator("#action-reject")).to_have_count(0)
    report["rejected"] = accessibility_problems(caller)
    assert all(not problems for problems in report.values()), report
    assert caller.errors == [], caller.errors  # type: ignore[attr-defined]
