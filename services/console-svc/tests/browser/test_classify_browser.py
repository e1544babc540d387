"""The triage's classify form in a real Chromium: a voicemail dropped in Torino's Maildir becomes
a `da_classificare` case; the call-taker picks the category on its page, routing sends it to the
category's office, the form is gone; a page opened before says the case was classified already.
axe-core on the page, screenshots under .data/screenshots/."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, expect
from sportello_devstack import mail_corpus as corpus
from sportello_devstack.stack import Stack
from sportello_devstack.testing import eventually_sync as eventually

from .test_browser import accessibility_problems, open_form, open_user, shot

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def drop_voicemail(stack: Stack, number: str) -> str:
    """As the PBX's mail delivery does; the case intake made of it (its id)."""
    box = stack.data_dir / "inbox" / "torino" / "voicemail"
    eventually(lambda: (box / "new").is_dir() and (box / "tmp").is_dir(), timeout=30)
    name = f"1700000000.{number}.pbx"
    (box / "tmp" / name).write_bytes(corpus.asterisk_voicemail(number, "Anna Verdi"))
    (box / "tmp" / name).rename(box / "new" / name)
    token = stack.issuer.token("operator", "torino")
    cases = f"{stack.url('intake')}/cases"

    def made() -> str | None:
        page = httpx.get(
            cases,
            params={"tenant": "torino", "limit": 200},
            headers={"authorization": f"Bearer {token}"},
            timeout=10,
        ).json()
        for row in page["items"]:
            if row.get("channel") == "voicemail" and row.get("category") == "da_classificare":
                return str(row["case_id"])
        return None

    found: str = eventually(made, timeout=30)
    return found


def test_the_triage_classifies_a_voicemail_and_it_goes_to_the_category_s_office(
    browser: Browser, web_stack: Stack
) -> None:
    case_id = drop_voicemail(web_stack, "3337654321")
    caller = open_user(browser, web_stack, "torino.centralino")
    late = open_user(browser, web_stack, "torino.supervisore")  # the same case, opened before
    for page in (caller, late):
        page.goto(f"/segnalazioni/{case_id}")
        open_form(page, "classify")
    facts = caller.locator("#case-facts")
    expect(facts).to_contain_text("Da classificare")  # in the staff's words, not the code
    options = caller.locator("#classify-category option")
    expect(options).to_contain_text(["Qualità urbana", "Convivenza civile"])
    report = {"case page with the form": accessibility_problems(caller)}
    caller.select_option("#classify-category", "qualita_urbana")
    shot(caller, "20-classify-form")
    caller.click("#action-classify button")

    expect(caller.locator("#done")).to_contain_text("Classificata:")
    expect(facts).to_contain_text("Qualità urbana")
    expect(caller.locator("#action-classify")).to_have_count(0)  # classified once only
    caller.goto(f"/segnalazioni/{case_id}")  # routing's new decision arrives by itself
    expect(caller.locator("#case-office")).to_contain_text("Reparto 1", timeout=15000)
    timeline = caller.locator("#timeline")
    expect(timeline).to_contain_text("Classificata")
    expect(timeline).not_to_contain_text("event.classified")  # the staff's words, not a key
    report["classified case"] = accessibility_problems(caller)
    shot(caller, "21-classified-and-routed")

    late.select_option("#classify-category", "convivenza_civile")
    late.click("#action-classify button")
    expect(late.locator("#action-classify-error")).to_be_visible()
    expect(late.locator("#case-facts")).to_contain_text("Qualità urbana")  # nothing changed
    report["refused"] = accessibility_problems(late)
    assert all(not problems for problems in report.values()), report
    for page in (caller, late):
        assert page.errors == [], page.errors  # type: ignore[attr-defined]
