"""The compliance report's numbers, and its CSV and HTML forms."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from uuid import uuid4

from sportello_contracts import cases as c
from sportello_contracts.notifications import SurveyAnswered
from sportello_sla.adapters.report_rendering import as_csv, as_html, as_json
from sportello_sla.application import SlaApplication
from sportello_sla.reports import compliance_report

from .conftest import CATALOGUE, assigned, lifecycle, process, received, rome

AS_OF = rome(2026, 12, 31, 12)
PERIOD = (date(2026, 1, 1), date(2026, 12, 31))


def casale() -> SlaApplication:
    app = SlaApplication(CATALOGUE)
    attestation = {"category": "attestazione_zone_non_metanizzate"}
    for month, close_after, forward_after in ((3, 10, 1), (3, 40, 5), (4, 20, 1), (5, None, 1)):
        case_id = str(uuid4())
        start = rome(2026, month, 2, 10)
        process(app, "casale-monferrato", received(case_id, start, **attestation))
        process(
            app,
            "casale-monferrato",
            assigned(case_id, start + timedelta(days=forward_after), "urbanistica"),
        )
        if close_after:
            closed = lifecycle(
                c.CaseClosed, case_id, start + timedelta(days=close_after), outcome="ok"
            )
            process(app, "casale-monferrato", closed)
            rating = SurveyAnswered(
                case_id=case_id, rating=3 + close_after % 3, at=closed.occurred_at
            )
            process(app, "casale-monferrato", rating)
    return app


def test_per_standard_and_office_cases_met_breached_open_and_times_to_stop() -> None:
    app = casale()
    report = compliance_report(
        "casale-monferrato", app.board.rows(), app.board.ratings(), PERIOD, AS_OF
    )
    lines = {(line.standard, line.organization): line.tally for line in report.lines}
    attestation = lines[("attestation_30d", "urbanistica")]
    assert (attestation.cases, attestation.met, attestation.breached, attestation.open) == (
        4,
        2,
        2,
        0,
    )
    assert attestation.compliance == 50.0
    assert attestation.median_hours == 20 * 24 and attestation.p90_hours is not None
    forwarding = lines[("forwarding_2wd", "urbanistica")]
    assert (forwarding.met, forwarding.breached) == (3, 1)
    assert list(report.months["attestation_30d"]) == ["2026-03", "2026-04", "2026-05"]
    assert report.months["attestation_30d"]["2026-03"].cases == 2
    [office] = report.satisfaction
    assert (office.organization, office.answers) == ("urbanistica", 3)


def test_the_period_and_the_tenant_select_the_clocks() -> None:
    app = casale()
    april = compliance_report(
        "casale-monferrato", app.board.rows(), [], (date(2026, 4, 1), date(2026, 4, 30)), AS_OF
    )
    assert sum(line.tally.cases for line in april.lines) == 2
    assert compliance_report("pisa", app.board.rows(), [], PERIOD, AS_OF).lines == []


def test_csv_json_and_html_forms() -> None:
    app = casale()
    report = compliance_report(
        "casale-monferrato", app.board.rows(), app.board.ratings(), PERIOD, AS_OF
    )
    rows = list(csv.DictReader(io.StringIO(as_csv(report))))
    assert {r["standard"] for r in rows} == {"attestation_30d", "forwarding_2wd"}
    assert rows[0]["compliance_pct"] == "50.0"
    body = as_json(report)
    assert body["standards"][0]["cases"] == 4 and body["satisfaction"][0]["answers"] == 3
    html = as_html(report, {"attestation_30d": "Rilascio dell'attestazione"})
    assert html.count("<svg") == 2 and "2026-03" in html and "50%" in html
    assert "Rilascio dell&#39;attestazione" in html  # escaped


def test_a_time_to_stop_across_the_change_to_summer_time_counts_the_hours_that_passed() -> None:
    """29 March 2026 has 23 hours in Rome: from 10:00 on the 28th to 10:00 on the 30th, 47 h.
    The board's rows keep the zone their events carried; subtracting two times of one zone
    would count wall-clock hours (48)."""
    app = SlaApplication(CATALOGUE)
    case_id = str(uuid4())
    start = rome(2026, 3, 28, 10)
    process(app, "casale-monferrato", received(case_id, start))
    process(app, "casale-monferrato", assigned(case_id, rome(2026, 3, 30, 10), "urbanistica"))
    report = compliance_report(
        "casale-monferrato", app.board.rows(), app.board.ratings(), PERIOD, AS_OF
    )
    lines = {line.standard: line.tally for line in report.lines}
    assert lines["forwarding_2wd"].median_hours == 47.0
