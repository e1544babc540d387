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


def test_sms_max_event_age_and_survey_link_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from datetime import timedelta

    assert NotifySettings().max_event_age == timedelta(days=2)
    assert NotifySettings().sms().endpoint is None  # no provider: an SMS fails, and is alerted
    for name, value in {
        "SMS_ENDPOINT": "https://sms.example/api/messages",
        "SMS_TOKEN": "t0k3n",
        "NOTIFY_MAX_EVENT_AGE": "P3D",
        "NOTIFY_SURVEY_BASE_URL": "https://sportello.example/valuta",
    }.items():
        monkeypatch.setenv(name, value)
    settings = NotifySettings()
    assert settings.sms().endpoint == "https://sms.example/api/messages"
    assert settings.sms().token == "t0k3n" and "t0k3n" not in repr(settings)
    assert settings.max_event_age == timedelta(days=3)
    assert settings.survey_base_url == "https://sportello.example/valuta"
    monkeypatch.setenv("NOTIFY_MAX_EVENT_AGE", "PT1H")
    assert NotifySettings().max_event_age == timedelta(hours=1)
