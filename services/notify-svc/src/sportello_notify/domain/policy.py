"""What each tenant wants told, to whom and when (deploy/tenants/<tenant>/notify.yaml).

A tenant without a notify.yaml gets the defaults below. Pure: the file is read by an adapter.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from .case_file import DEFAULT_LANGUAGE
from .notification import Template


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Triggers(_Frozen):
    """Which events produce a message. The citizen's three, then the offices'."""

    received: bool = True
    taken_in_charge: bool = True
    closed: bool = True
    assigned: bool = True
    sla_warning: bool = True
    sla_breached: bool = True

    def enabled(self, template: Template) -> bool:
        return bool(getattr(self, template.value, True))


class QuietHours(_Frozen):
    """No SMS between `start` and `end` (local time; may span midnight). Mail goes any time."""

    start: time = time(21, 0)
    end: time = time(8, 0)

    def hold_until(self, at: datetime, timezone: str) -> datetime | None:
        """When an SMS due at `at` may go out, or None if it may go now."""
        if self.start == self.end:
            return None
        zone = ZoneInfo(timezone)
        local = at.astimezone(zone)
        now = local.time()
        if self.start < self.end:
            quiet, day = self.start <= now < self.end, local.date()
        else:  # spans midnight: before `end` belongs to the night that started yesterday
            quiet = now >= self.start or now < self.end
            day = local.date() if now < self.end else local.date() + timedelta(days=1)
        if not quiet:
            return None
        until = datetime.combine(day, self.end, tzinfo=zone).astimezone(at.tzinfo)
        # The hour the clocks go back repeats: its second pass may already be past `end`.
        return until if until > at else None


class SmsPolicy(_Frozen):
    quiet_hours: QuietHours = QuietHours()


class SurveyPolicy(_Frozen):
    enabled: bool = True
    valid_days: int = Field(default=30, ge=1, le=365)
    base_url: str | None = Field(
        default=None, description="where the citizen answers; the token is appended"
    )


class Webhook(_Frozen):
    """An organization's endpoint; the signing secret is named, never written here."""

    url: str = Field(pattern=r"^https?://")
    secret_env: str | None = Field(default=None, pattern=r"^[A-Z][A-Z0-9_]*$")


class NotifyPolicy(_Frozen):
    triggers: Triggers = Triggers()
    languages: tuple[str, ...] = ("it", "en")
    follow_url: str | None = Field(
        default=None, description="how the citizen follows the case; {case_id}, {reference}"
    )
    sms: SmsPolicy = SmsPolicy()
    survey: SurveyPolicy = SurveyPolicy()
    webhooks: dict[str, Webhook] = Field(default_factory=dict)

    def language_for(self, asked: str) -> str:
        return asked if asked in self.languages else DEFAULT_LANGUAGE

    def follow_link(self, case_id: str, reference: str) -> str:
        if not self.follow_url:
            return ""
        return self.follow_url.format(case_id=case_id, reference=reference)
