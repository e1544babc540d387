"""When a case page waits for intake (pages/case_file.py): only while intake's file names another
office than the console's view and has nothing as recent as the console's last change."""

from __future__ import annotations

from typing import Any

from sportello_console.pages.case_file import _behind


def file_of(organization: str, *times: str) -> dict[str, Any]:
    return {"organization": organization, "timeline": [{"occurred_at": t} for t in times]}


CLASSIFIED = "2026-12-05T10:00:00+01:00"
REASSIGNED_UTC = "2026-12-05T09:00:01+00:00"  # routing's decision, a second after, in UTC


def test_intake_not_yet_showing_routing_s_new_decision_is_waited_for() -> None:
    assert _behind(file_of("contact-center", CLASSIFIED), "pm-reparto-1", REASSIGNED_UTC)


def test_intake_showing_it_is_not() -> None:
    applied = file_of("pm-reparto-1", CLASSIFIED, "2026-12-05T10:00:01+01:00")
    assert not _behind(applied, "pm-reparto-1", REASSIGNED_UTC)


def test_the_console_behind_intake_is_not_a_reason_to_wait() -> None:
    newer = file_of("pm-reparto-2", CLASSIFIED, "2026-12-05T10:05:00+01:00")
    assert not _behind(newer, "pm-reparto-1", REASSIGNED_UTC)


def test_a_case_the_console_has_no_office_for_is_not_waited_for() -> None:
    assert not _behind(file_of("contact-center", CLASSIFIED), None, REASSIGNED_UTC)
    assert _behind(file_of("contact-center"), "pm-reparto-1", REASSIGNED_UTC)  # an empty file
