"""Logs never carry citizens' personal data."""

from __future__ import annotations

import json

import pytest
import structlog
from sportello_shared.logging import configure_logging


def test_personal_fields_are_redacted_in_json_logs(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("test", "INFO")
    structlog.get_logger("t").info(
        "case.registered",
        case_id="c-1",
        email="maria.rossi@example.org",
        phone="+39 011 1234567",
        citizen={"name": "Maria Rossi"},
        description="il vicino fa rumore",
    )
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["case_id"] == "c-1" and line["service"] == "test"
    for field in ("email", "phone", "citizen", "description"):
        assert line[field] == "[redacted]"
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
