"""The console's keyboard shortcuts in a real Chromium: the URP supervisor goes from a case to
the queues, through the rows and into a case, to its actions, the search and a new case without
the mouse; the list of shortcuts (axe-core on it); never while typing; turned off and on again."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sportello_devstack.stack import Stack

from .test_browser import (
    accessibility_problems,
    fill_new_case,
    open_user,
    registered_reference,
    shot,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

REFERENCE = re.compile(r"^[A-Z]{2}-\d{4}-\d{6}$")


def focused_text(page: Page) -> str:
    return str(page.evaluate("document.activeElement.textContent")).strip()


def to_row(page: Page, key: str) -> str:
    """Press `key` in the queue; the reference of the row it focuses. A live refresh may swap
    the rows meanwhile: the focus comes back to the row once it settles."""
    page.keyboard.press(key)
    page.wait_for_function("document.activeElement.closest('#queue tbody tr[id]') !== null")
    return focused_text(page)


def test_the_keyboard_shortcuts(browser: Browser, web_stack: Stack) -> None:
    urp = open_user(browser, web_stack, "torino.supervisore")
    for name in ("Anna Bianchi", "Luca Verdi"):  # two rows at least in the open cases
        fill_new_case(urp, category="qualita_urbana", kind="segnalazione", name=name,
                      email="tasti@example.org")  # fmt: skip
        registered_reference(urp)

    urp.keyboard.press("c")  # from the case page to the queues
    urp.wait_for_url(re.compile(r"/code/"))
    open_tab = urp.locator("#queue-tabs a[href='/code/open']").get_attribute("data-shortcut")
    assert open_tab and open_tab.isdigit()
    urp.keyboard.press(open_tab)
    urp.wait_for_url(re.compile(r"/code/open$"))
    expect(urp.locator("#queue tbody tr[id]").nth(1)).to_be_visible()

    first, second = to_row(urp, "j"), to_row(urp, "j")
    assert REFERENCE.match(first) and REFERENCE.match(second) and first != second
    expect(urp.locator("#queue tr.table-active")).to_have_count(1)
    assert to_row(urp, "k") == first
    # a live refresh (the event the queue's SSE fires) replaces the rows: the focus stays
    urp.evaluate("document.querySelector('#queue table').dataset.before = 'refresh'")
    urp.evaluate("htmx.trigger('#queue', 'sse:changed')")
    expect(urp.locator("#queue table[data-before]")).to_have_count(0)
    expect(urp.locator("#queue tbody a", has_text=first)).to_be_focused()
    urp.keyboard.press("Enter")  # the focused reference is a link: its case opens
    urp.wait_for_url(re.compile(r"/segnalazioni/[0-9a-f-]{36}$"))
    expect(urp.locator("h1")).to_contain_text(first)

    urp.keyboard.press("a")  # the case's first action, ready for Enter
    assert urp.evaluate("document.activeElement.closest('#actions') !== null")

    urp.keyboard.press("/")  # the search, then its first field
    urp.wait_for_url(re.compile(r"/cerca$"))
    urp.keyboard.press("/")
    expect(urp.locator("#find-phone")).to_be_focused()
    urp.keyboard.type("n/j")  # typing in a field is only typing
    expect(urp.locator("#find-phone")).to_have_value("n/j")
    assert urp.url.endswith("/cerca")

    urp.locator("#main").focus()
    urp.keyboard.press("?")
    dialog = urp.locator("#shortcuts")
    expect(dialog).to_be_visible()
    for key in ("j", "n", "d", "r", "?"):  # what this user may reach
        expect(dialog.locator("kbd", has_text=key).first).to_be_visible()
    shot(urp, "40-keyboard-shortcuts")
    assert accessibility_problems(urp) == []
    expect(urp.locator("#shortcuts-enabled")).to_be_focused()  # the dialog's first control
    urp.keyboard.press("Space")  # WCAG 2.1.4: they can be turned off
    expect(urp.locator("#shortcuts-enabled")).not_to_be_checked()
    urp.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    urp.keyboard.press("n")
    assert urp.url.endswith("/cerca")

    urp.reload()  # remembered in this browser; the footer's button opens the list again
    urp.click("#shortcuts-open")
    expect(urp.locator("#shortcuts-enabled")).not_to_be_checked()
    urp.click("label[for=shortcuts-enabled]")
    expect(urp.locator("#shortcuts-enabled")).to_be_checked()
    urp.click("#shortcuts button[data-close]")
    urp.keyboard.press("n")
    urp.wait_for_url(re.compile(r"/segnalazioni/nuova$"))
    assert urp.errors == [], urp.errors  # type: ignore[attr-defined]


def test_an_office_s_list_has_only_what_it_reaches(browser: Browser, web_stack: Stack) -> None:
    office = open_user(browser, web_stack, "torino.pm-reparto-1")
    office.locator("#main").focus()
    office.keyboard.press("?")
    dialog = office.locator("#shortcuts")
    expect(dialog).to_be_visible()
    texts = dialog.locator("tbody").inner_text()
    assert "Nuova segnalazione" not in texts and "Cruscotto" not in texts  # not an office's
    assert "Anomalie" in texts
    office.keyboard.press("Escape")
    office.keyboard.press("n")  # no such link for an office: nothing happens
    office.keyboard.press("d")
    assert re.search(r"/code/[a-z_]+$", office.url)
    assert office.errors == [], office.errors  # type: ignore[attr-defined]
