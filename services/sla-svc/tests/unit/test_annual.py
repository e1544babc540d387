"""The yearly report over a dated year (tests/year_2025.py), its figures worked out by hand."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sportello_contracts import wrap
from sportello_sla.adapters.annual_rendering import Publication, as_csv, as_html, as_pdf
from sportello_sla.annual_model import AnnualReport
from sportello_sla.anomalies import ActionStatus, AnomalyKind, PersonalDataInText
from sportello_sla.application import SlaApplication
from sportello_sla.register import AnomalyCommands, register_entries
from sportello_sla.replay import Replayer
from sportello_sla.reporting import build_annual

from ..year_2025 import (
    AS_OF,
    FORWARDING_ACTION,
    FORWARDING_CAUSE,
    HOUSING_CAUSE,
    LINE_ACTION,
    LINE_DOWN,
    TENANT,
    case_id,
    rome,
    steps,
)
from .conftest import CATALOGUE, process

YEAR = (date(2025, 1, 1), date(2025, 12, 31))


def the_year() -> SlaApplication:
    app = SlaApplication(CATALOGUE)
    for step in steps():
        process(app, TENANT, step.payload)
    return app


def write_register(app: SlaApplication) -> None:
    """What the URP writes: causes of two breaches, actions, and a phone line down."""
    commands = AnomalyCommands(app)
    by, at = "urp.rossi", rome(12, 30)
    entries = register_entries(app.board.rows(), app.board.anomalies(), TENANT, YEAR, AS_OF)
    forwarding_b = next(e for e in entries if e.standard == "forwarding_2wd")
    housing_c = next(e for e in entries if e.case_id is not None and str(e.case_id) == case_id("C"))
    commands.record_cause(forwarding_b, FORWARDING_CAUSE, by, at)
    number = commands.add_action(
        forwarding_b, FORWARDING_ACTION, ActionStatus.PLANNED, None, by, at
    )
    commands.set_action_status(forwarding_b, number, ActionStatus.DONE, "urp.bianchi", rome(12, 31))
    commands.record_cause(housing_c, HOUSING_CAUSE, by, at)
    line = commands.record(
        tenant=TENANT,
        organization="urp",
        kind=AnomalyKind.INTERRUPTION,
        by=by,
        at=at,
        **LINE_DOWN,
    )
    [entry] = [
        e
        for e in register_entries(app.board.rows(), app.board.anomalies(), TENANT, YEAR, AS_OF)
        if e.anomaly_id == line
    ]
    commands.add_action(entry, LINE_ACTION, ActionStatus.PLANNED, date(2026, 3, 31), by, at)


def report_of(app: SlaApplication) -> AnnualReport:
    return build_annual(CATALOGUE, app.board, TENANT, 2025, AS_OF)


@pytest.fixture(scope="module")
def report() -> AnnualReport:
    app = the_year()
    write_register(app)
    return report_of(app)


def test_the_standards_per_version_office_and_month(report: AnnualReport) -> None:
    attestation, forwarding = report.standards
    # A met (20 d), B met (38 d with 10 paused), C breached (62 d), D breached after its
    # reopening on 1 July (50 d), G still open on 10 January
    assert (attestation.standard, attestation.version) == ("attestation_30d", 1)
    assert (attestation.in_force_from, attestation.in_force_to) == YEAR
    assert (attestation.cases, attestation.met, attestation.breached, attestation.open) == (
        *(5, 2, 2, 1),
    )
    assert attestation.compliance == 50.0
    # to the stop: A 480 h, B 911 h and C 1487 h (across summer time), D 1200 h
    assert attestation.median_hours == (911 + 1200) / 2
    assert attestation.p90_hours == round(1200 + 0.7 * (1487 - 1200), 2)
    months = {m.month: (m.cases, m.met, m.breached, m.open) for m in attestation.months if m.cases}
    assert months == {1: (1, 1, 0, 0), 3: (2, 1, 1, 0), 7: (1, 0, 1, 0), 12: (1, 0, 0, 1)}
    assert len(attestation.months) == 12 and attestation.months[2].compliance == 50.0
    offices = {o.organization: (o.cases, o.met, o.breached, o.open) for o in attestation.offices}
    assert offices == {"polizia-locale": (1, 0, 1, 0), "urbanistica": (4, 2, 1, 1)}
    # forwarding: seven cases of 2025 (H's clock started in 2024), B forwarded after 7 days
    assert (forwarding.cases, forwarding.met, forwarding.breached, forwarding.open) == (7, 6, 1, 0)
    assert forwarding.compliance == round(100 * 6 / 7, 1) == 85.7
    # 2, 23, 24, 24, 24, 24, 168 hours
    assert forwarding.median_hours == 24.0
    assert forwarding.p90_hours == round(24 + 0.4 * (168 - 24), 2)
    assert [m.cases for m in forwarding.months] == [1, 0, 2, 0, 0, 1, 0, 0, 1, 0, 1, 1]


def test_volumes_by_channel_kind_category_and_office(report: AnnualReport) -> None:
    v = report.volumes
    assert v.total == 7 and v.months == [1, 0, 2, 0, 0, 1, 0, 0, 1, 0, 1, 1]
    assert [(c.label, c.cases) for c in v.by_channel] == [
        ("E-mail", 3),
        ("Telefono", 2),
        ("Sito web", 1),
        ("Sportello", 1),
    ]
    assert [(c.key, c.cases) for c in v.by_kind] == [
        ("segnalazione", 5),
        ("reclamo", 1),
        ("richiesta_informazioni", 1),
    ]
    categories = {c.key: c.cases for c in v.by_category}
    assert categories == {
        "attestazione_zone_non_metanizzate": 4,
        "attestazione_idoneita_alloggiativa": 1,
        "segnalazioni_reclami_suggerimenti": 1,
        "urp_risponde": 1,
    }
    assert v.by_category[0].label == "Attestazione zone non metanizzate"
    assert {c.key: c.cases for c in v.by_office} == {
        "urbanistica": 4,
        "urp": 2,
        "polizia-locale": 1,
    }


def test_satisfaction_overall_per_office_and_service(report: AnnualReport) -> None:
    overall = report.satisfaction_overall
    assert (overall.answers, overall.mean, overall.distribution) == (5, 3.4, [1, 1, 0, 1, 2])
    offices = {s.key: (s.answers, s.mean) for s in report.satisfaction_by_office}
    assert offices == {"urbanistica": (2, 5.0), "polizia-locale": (1, 1.0), "urp": (2, 3.0)}
    services = {s.key: (s.answers, s.mean) for s in report.satisfaction_by_service}
    assert services["attestazione_zone_non_metanizzate"] == (2, 5.0)
    assert services["urp_risponde"] == (1, 4.0)


def test_anomalies_with_their_causes_and_actions(report: AnnualReport) -> None:
    lines = [(a.kind, a.first, a.occurrences, a.cause) for a in report.anomalies]
    assert lines == [
        ("breach", date(2025, 3, 3), 1, FORWARDING_CAUSE),
        ("breach", date(2025, 3, 4), 1, HOUSING_CAUSE),
        ("breach", date(2025, 7, 1), 1, None),  # D's second run, no cause written yet
        ("interruption", date(2025, 10, 7), 1, None),
    ]
    forwarding = report.anomalies[0]
    assert forwarding.office == "Ufficio Urbanistica"
    assert [(x.description, x.status) for x in forwarding.actions] == [(FORWARDING_ACTION, "done")]
    line = report.anomalies[3]
    assert line.title == LINE_DOWN["title"] and line.actions[0].due == date(2026, 3, 31)


def test_texts_are_written_from_the_figures(report: AnnualReport) -> None:
    it, en = report.texts["it"], report.texts["en"]
    assert it.summary.startswith(
        "Nel 2025 il Comune di Casale Monferrato ha ricevuto 7 richieste e ha misurato 2 standard"
    )
    # 2 + 6 met, 2 + 1 breached
    assert "Su 11 termini conclusi o scaduti, 8 sono stati rispettati (72,7%)" in it.summary
    assert "Sono state registrate 4 anomalie." in it.summary
    assert "voto medio di 3,40 su 5; il 60,0% ha dato 4 o 5" in it.satisfaction
    assert "3 mancati rispetti degli standard e 1 altri disservizi" in it.anomalies
    assert "il mese meno puntuale è stato luglio (0,0%)" in it.standards
    assert "Of the 11 terms that ended or fell due, 8 were met (72.7%)" in en.summary


def test_no_personal_data_anywhere(report: AnnualReport) -> None:
    document = report.canonical_json() + as_csv(report) + as_html(report)
    for personal in ("Maria", "Rossi", "maria.rossi", "CM-2025-", "urp.rossi", "urp.bianchi"):
        assert personal not in document
    assert case_id("A") not in document  # no case ids either


def test_the_register_refuses_personal_data() -> None:
    app = the_year()
    with pytest.raises(PersonalDataInText):
        AnomalyCommands(app).record(
            tenant=TENANT,
            organization="urp",
            kind=AnomalyKind.OTHER,
            title="Reclamo di mario.bianchi@example.org non inoltrato",
            started_at=rome(5, 1),
            ended_at=None,
            by="urp.rossi",
            at=rome(5, 2),
        )


def test_the_same_figures_give_the_same_digest_and_a_change_another(
    report: AnnualReport,
) -> None:
    app = the_year()
    bare = report_of(app)
    assert bare.digest == report_of(app).digest  # byte for byte
    write_register(app)
    assert report_of(app).digest == report.digest != bare.digest
    assert AnnualReport.model_validate_json(report.canonical_json()).digest == report.digest


def test_a_replay_of_the_log_gives_the_same_figures() -> None:
    live = the_year()
    replayer = Replayer(CATALOGUE)
    raw = [
        wrap(
            s.payload,
            aggregate_id=getattr(s.payload, "case_id", "x"),
            aggregate_version=i,
            source=f"/sportello/{s.producer}-svc",
            subject=getattr(s.payload, "case_id", "x"),
            time=AS_OF,
            tenant=TENANT,
            organization=s.organization or "unassigned",
            traceparent=None,
        ).to_bytes()
        for i, s in enumerate(steps(), start=1)
    ]
    replayer.feed("CASES", raw)
    result = replayer.finish(AS_OF)
    replayed = build_annual(CATALOGUE, replayer.app.board, TENANT, 2025, AS_OF)
    assert result.digest == live.board.digest(AS_OF)
    assert replayed.digest == report_of(live).digest
    replayer.close()


def pdf_text(document: bytes, tmp_path: Path, *options: str) -> str:
    assert shutil.which("pdftotext"), "pdftotext (Debian poppler-utils) is needed"
    path = tmp_path / "report.pdf"
    path.write_bytes(document)
    done = subprocess.run(
        ["pdftotext", *options, str(path), "-"], capture_output=True, check=True, text=True
    )
    return done.stdout


def test_the_pdf_reads_as_the_report(report: AnnualReport, tmp_path: Path) -> None:
    document = as_pdf(report)
    assert document.startswith(b"%PDF")
    text = pdf_text(document, tmp_path)
    pages = text.split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert page.lstrip().startswith("Comune di Casale Monferrato")  # every page's header
        assert f"Pagina {number} di {len(pages)}" in page
    flat = " ".join(text.split())
    for expected in (
        "Relazione annuale sulla Carta dei servizi 2025",
        "Bozza in revisione",
        "Rilascio dell'attestazione nel termine di legge (30 giorni)",
        "Su 11 termini conclusi o scaduti, 8 sono stati rispettati (72,7%)",
        "Ufficio Urbanistica 4 2 1 1 66,7%",
        "Totale 7 6 1 0 85,7% 24,0 ore 3,4 giorni",
        FORWARDING_CAUSE,
        FORWARDING_ACTION + " (conclusa)",
        LINE_ACTION + " (programmata, entro il 31/03/2026)",
        "Interruzione del servizio",
        report.digest,
    ):
        assert expected in flat, expected
    assert "Maria" not in flat and "maria.rossi" not in flat


def test_english_and_published_forms(report: AnnualReport, tmp_path: Path) -> None:
    published = Publication(published_at=rome(1, 15, year=2026))
    text = " ".join(pdf_text(as_pdf(report, "en", published), tmp_path).split())
    assert "Annual report on the Carta dei servizi 2025" in text
    assert "Published on 15/01/2026" in text and "Draft" not in text
    assert "Page 1 of" in text


def test_the_csv_has_every_figure(report: AnnualReport) -> None:
    rows = list(csv.DictReader(io.StringIO(as_csv(report))))

    def value(**where: Any) -> str:
        [row] = [r for r in rows if all(r[k] == str(v) for k, v in where.items())]
        return row["value"]

    assert value(subject="attestation_30d v1", breakdown="year", measure="breached") == "2"
    assert value(subject="forwarding_2wd v1", key="2025-03", measure="compliance") == "50.0"
    assert value(section="volumes", breakdown="channel", key="email") == "3"
    assert value(section="satisfaction", breakdown="office", key="urp", measure="mean") == "3.0"
    assert value(section="anomalies", measure="action:done") == FORWARDING_ACTION
