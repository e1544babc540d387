"""Retention: the personal data of citizens whose cases all closed more than the tenant's
`retention.months` ago is erased by the same erasure as `POST /admin/erasures` (actor
`retention`). A citizen with a case still open or closed too recently waits: their key seals
every case of theirs, so it goes when the last one has aged out.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from sportello_shared.tenants import Tenant

from .application import (
    CasesStillInRetention,
    CasesStillOpen,
    ErasureRequest,
    IntakeApplication,
    NothingToErase,
)
from .domain import Case
from .search import CaseQuery, to_micros

RETENTION_ACTOR = "retention"
PAGE = 500


@dataclass
class RetentionRun:
    """What one run did for one tenant."""

    tenant: str
    cutoff: datetime
    erased: list[str] = field(default_factory=list)  # references whose data was erased
    deferred: list[str] = field(default_factory=list)  # aged out, but the citizen is not yet


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the month's last day if shorter)."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def aged_out(app: IntakeApplication, tenant: Tenant, cutoff: datetime) -> list[Case]:
    """Closed cases last changed before `cutoff` whose personal data is still there.

    Reads only (the index, then each case): callers run it off the writer thread.
    """
    found: list[Case] = []
    offset = 0
    while True:
        query = CaseQuery(
            tenant=tenant.id, is_open=False, received_to=cutoff, limit=PAGE, offset=offset
        )
        rows, _ = app.search_cases(query)
        for row in rows:
            if row.updated_us < to_micros(cutoff):
                case = app.get_case(UUID(row.case_id))
                if case.personal_data_erased_at is None and case.data_subject:
                    found.append(case)
        if len(rows) < PAGE:
            return found
        offset += PAGE


def erase_citizen_of(app: IntakeApplication, case: Case, run: RetentionRun) -> None:
    """Erase the citizen of `case` if all their cases aged out (on the writer thread)."""
    if case.reference in run.erased:
        return
    try:
        report = app.erase_personal_data(
            ErasureRequest(case_id=case.id), RETENTION_ACTOR, None, closed_before=run.cutoff
        )
    except (CasesStillOpen, CasesStillInRetention):
        run.deferred.append(case.reference)
    except NothingToErase:
        return
    else:
        run.erased += [c.reference for c in report.cases]


def erase_aged_out(app: IntakeApplication, tenant: Tenant, now: datetime) -> RetentionRun:
    """One run for one tenant, all on the calling thread (the worker splits reads and writes)."""
    run = RetentionRun(tenant.id, months_before(now, tenant.privacy.retention.months))
    for case in aged_out(app, tenant, run.cutoff):
        erase_citizen_of(app, case, run)
    return run
