"""Reports nobody confirmed are erased after PUBLIC_SUBMISSION_RETENTION_DAYS; confirmed ones as
soon as intake holds the case. Crypto-shredding: each report is sealed under a key of its own,
and the key is deleted. SQLite and PostgreSQL, a clock moved forward, the periodic worker."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient
from sportello_devstack.mailsink import read_mails, start_sink
from sportello_devstack.natsserver import free_port
from sportello_public.main import PublicSettings, build
from sportello_public.submissions import PublicApplication, Submission, submission_id_for

from .test_report_form import REPORT, ROOT, Clock, post

T = TypeVar("T")


@pytest.fixture
def mail_dir(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    port = free_port()
    sink = start_sink(tmp_path / "mail", port)
    yield tmp_path / "mail", port
    sink.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(store: dict[str, str], tmp_path: Path, mail_dir: tuple[Path, int]) -> PublicSettings:
    return PublicSettings(
        SPORTELLO_TENANTS_DIR=str(ROOT / "deploy" / "tenants"),
        SMTP_PORT=mail_dir[1],
        PUBLIC_SECRET_KEY="test-secret",
        INTAKE_URL="http://127.0.0.1:9",
        PUBLIC_SUBMISSION_SWEEP_INTERVAL=0.1,
        **{**store, "SPORTELLO_DATA_DIR": str(tmp_path / "site")},
    )  # type: ignore[call-arg]


@pytest.fixture
def site(settings: PublicSettings, clock: Clock) -> Iterator[TestClient]:
    with TestClient(build(settings, clock=clock)) as client:
        yield client


def send(site: TestClient, mail_dir: Path, email: str) -> str:
    """A report sent (not confirmed): the token of its confirmation link."""
    assert post(site, "/torino/segnala/invia", REPORT | {"email": email}).status_code == 200
    [mail] = [m for m in read_mails(mail_dir) if m["To"] == email]
    link = re.search(r"/segnala/conferma/(\S+)", str(mail.get_payload(decode=True), "utf-8"))
    assert link
    return link.group(1)


def stored(settings: PublicSettings, token: str) -> tuple[Submission, Any]:
    """The submission as a fresh process reads it from the store, and its key's erasure row:
    the erasure read first, the report after it (and with no key cached from before), so that
    a sweep committing in between cannot pair an erased row with a report still readable."""
    subject = _read(
        settings, lambda app: app.repository.get(submission_id_for(token))
    ).submission_id

    def both(app: PublicApplication) -> tuple[Submission, Any]:
        erasures = app.vault.erasures([subject])
        submission: Submission = app.repository.get(submission_id_for(token))
        return submission, (erasures[0].erased_by if erasures else None)

    return _read(settings, both)


def _read(settings: PublicSettings, reading: Callable[[PublicApplication], T]) -> T:
    app = PublicApplication(env=settings.eventsourcing_env())
    try:
        return reading(app)
    finally:
        app.close()


def wait_erased(settings: PublicSettings, token: str, timeout: float = 10.0) -> Submission:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        submission, erased_by = stored(settings, token)
        if erased_by:
            return submission
        time.sleep(0.1)
    raise AssertionError("the worker did not erase the report")


def test_unconfirmed_reports_are_erased_after_the_retention_and_confirmed_ones_at_once(
    site: TestClient, settings: PublicSettings, mail_dir: tuple[Path, int], clock: Clock
) -> None:
    assert settings.submission_retention_days == 7  # the documented default
    forgotten = send(site, mail_dir[0], "dimenticato@example.org")
    confirmed = send(site, mail_dir[0], "confermato@example.org")
    submission, erased_by = stored(settings, forgotten)
    assert submission.report["citizen"]["name"] == "Maria Rossi" and erased_by is None
    assert submission.report["citizen"]["email"] == "dimenticato@example.org"

    # intake registered the confirmed one: the site keeps no copy of it
    app: PublicApplication = site.app.state.site.app  # type: ignore[attr-defined]
    app.record_registration(confirmed, "torino", "TO-2026-000001", "follow-token-x", clock())
    registered, erased_by = stored(settings, confirmed)
    assert erased_by == "public-site" and registered.report == {}
    assert registered.reference == "TO-2026-000001"  # the facts stay: its follow link works
    followed = site.get(f"/torino/segnala/conferma/{confirmed}", follow_redirects=False)
    assert followed.headers["location"] == "/torino/segnalazioni/follow-token-x"

    clock.now += timedelta(days=2)
    recent = send(site, mail_dir[0], "recente@example.org")
    clock.now += timedelta(days=5, minutes=1)  # the first: 7 days and a minute; the last: 5 days
    erased = wait_erased(settings, forgotten)
    assert erased.report == {} and erased.erased
    assert stored(settings, forgotten)[1] == "retention"
    kept, erased_by = stored(settings, recent)
    assert erased_by is None and kept.report["citizen"]["email"] == "recente@example.org"
    page = site.get(f"/torino/segnala/conferma/{forgotten}")
    assert page.status_code == 410 and "Maria Rossi" not in page.text

    clock.now += timedelta(days=2)  # now the last one is a week old too
    assert wait_erased(settings, recent).report == {}


def test_an_erased_report_cannot_be_confirmed_even_within_its_24_hours(
    site: TestClient, mail_dir: tuple[Path, int], clock: Clock
) -> None:
    token = send(site, mail_dir[0], "breve@example.org")
    app: PublicApplication = site.app.state.site.app  # type: ignore[attr-defined]
    assert app.erase_stale(clock(), timedelta(0)) == 1  # a retention shorter than a day
    assert app.erase_stale(clock(), timedelta(0)) == 0  # asking again changes nothing
    assert site.get(f"/torino/segnala/conferma/{token}").status_code == 410
