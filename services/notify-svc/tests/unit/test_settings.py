"""notify-svc is configured by environment variables only."""

from __future__ import annotations

import pytest
from sportello_notify.main import NotifySettings


def test_defaults_point_at_the_local_mail_sink() -> None:
    settings = NotifySettings()
    assert (settings.service_name, settings.http_port) == ("notify", 8004)
    smtp = settings.smtp()
    assert (smtp.host, smtp.port, smtp.starttls, smtp.username, smtp.password) == (
        "127.0.0.1",
        1025,
        False,
        None,
        None,
    )


def test_smtp_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "SMTP_HOST": "smtp.comune.example",
        "SMTP_PORT": "587",
        "SMTP_FROM": "Comune di Torino <noreply@comune.torino.example>",
        "SMTP_STARTTLS": "true",
        "SMTP_USERNAME": "sportello",
        "SMTP_PASSWORD": "s3cret",
        "SMTP_MAX_ATTEMPTS": "7",
    }.items():
        monkeypatch.setenv(name, value)
    settings = NotifySettings()
    smtp = settings.smtp()
    assert (smtp.host, smtp.port, smtp.starttls) == ("smtp.comune.example", 587, True)
    assert smtp.sender == "Comune di Torino <noreply@comune.torino.example>"
    assert (smtp.username, smtp.password) == ("sportello", "s3cret")
    assert "s3cret" not in repr(settings)
    assert settings.backoff().max_attempts == 7
