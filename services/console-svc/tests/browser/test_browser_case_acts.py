"""Issue 18's acts in a real Chromium: the call-taker records a consultation and a callback
made, writes a staff note and an update to the citizen, on the case page; axe-core on it."""

from __future__ import annotations

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


def test_the_call_taker_records_the_acts_of_a_call(browser: Browser, web_stack: Stack) -> None:
    caller = open_user(browser, web_stack, "torino.centralino")
    fill_new_case(caller, category="decoro_pulizia", email="atti@example.org")
    registered_reference(caller)
    case_path = "/" + caller.url.split("/", 3)[3].split("?")[0]
    caller.goto(case_path)
    expect(caller.locator("#case-status")).to_contain_text("Assegnata", timeout=20000)
    expect(caller.locator("#acts")).to_be_visible()
    open_form(caller, "consult")
    caller.fill("#consult-question", "Chi svuota i cassonetti di via Roma?")
    caller.fill("#consult-answer", "AMIAT, il martedì")
    caller.click("#action-consult button")
    expect(caller.locator("#done")).to_be_visible()
    open_form(caller, "callback-done")
    caller.select_option("#callback-done-means", "phone")
    caller.fill("#callback-done-note", "Richiamata la cittadina")
    caller.click("#action-callback-done button")
    expect(caller.locator("#done")).to_be_visible()
    open_form(caller, "note")
    caller.fill("#note-note", "La cittadina chiede di non essere chiamata al mattino")
    caller.click("#action-note button")
    open_form(caller, "update-citizen")
    caller.fill("#update-citizen-message", "Il sopralluogo è fissato per lunedì")
    caller.click("#action-update-citizen button")
    expect(caller.locator("#done")).to_be_visible()
    for step in ("Consulenza", "Richiamata fatta", "Nota interna", "Aggiornamento al cittadino"):
        expect(caller.locator("main")).to_contain_text(step)
    shot(caller, "20-case-acts")
    problems = accessibility_problems(caller)
    assert problems == [], problems
    assert caller.errors == [], caller.errors  # type: ignore[attr-defined]
