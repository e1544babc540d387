"""What each tenant wants told, to whom and when (deploy/tenants/<tenant>/notify.yaml).

A tenant without a notify.yaml gets the defaults below. Pure: the file is read by an adapter.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from .case_file import DEFAULT_LANGUAGE
from .notification import Template
from .on_call import OnCallRota


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Triggers(_Frozen):
    """Which events produce a message. The citizen's three, then the offices'."""

    received: bool = True
    taken_in_charge: bool = True
    closed: bool = True
    citizen_updated: bool = True
    merged: bool = True
    duplicate_merged: bool = True
    waiting_for_citizen: bool = True
    waiting_reminder: bool = True
    routing_failed: bool = True
    under_review: bool = True
    assigned: bool = True
    sla_warning: bool = True
    sla_breached: bool = True
    on_call_alert: bool = True
    # Casale's procedures (issue 18 point 6)
    protocolled: bool = True
    inspection_scheduled: bool = True
    attestation_issued: bool = True

    def enabled(self, template: Template) -> bool:
        return bool(getattr(self, template.value, True))


# Channels where the citizen talks to an operator, who reads the reference back there and then.
LIVE_CHANNELS = frozenset({"phone", "counter"})


class Acknowledgment(_Frozen):
    """Which new cases get the acknowledgment (`received`), by the channel they came in on.

    In a live conversation (a phone call, the counter) the operator gave the reference: a tenant
    may send nothing more (`live: false`). What came in writing or unattended (e-mail, PEC, post,
    fax, web, voicemail, the app, Open311) has had no one give it: it is always acknowledged,
    as long as `triggers.received` is on.
    """

    live: bool = Field(default=True, description="acknowledge a phone call or a counter visit too")

    def wanted(self, channel: str) -> bool:
        return self.live or channel not in LIVE_CHANNELS


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


class WayBack(_Frozen):
    """How a citizen reaches the Comune: printed in every message sent from a no-reply address.

    `hours` is free text; when absent the triage office's opening hours in tenant.yaml are used.
    """

    office: str = Field(description="who answers, e.g. 'URP del Comune di Rescaldina'")
    phone: str = Field(min_length=5)
    hours: str | None = None
    hours_en: str | None = None
    address: str | None = None
    email: str | None = None
    web: str | None = Field(default=None, pattern=r"^https?://")


class Waiting(_Frozen):
    """The office waits for the citizen: how long they have, and when they are reminded."""

    reply_days: int = Field(default=30, ge=1, le=365, description="the pause's limit (sla.yaml)")
    reminder_days_before: int = Field(default=5, ge=1, le=60)


class NotifyPolicy(_Frozen):
    triggers: Triggers = Triggers()
    acknowledgment: Acknowledgment = Acknowledgment()
    languages: tuple[str, ...] = ("it", "en")
    follow_url: str | None = Field(
        default=None, description="how the citizen follows the case; {case_id}, {reference}"
    )
    sms: SmsPolicy = SmsPolicy()
    survey: SurveyPolicy = SurveyPolicy()
    webhooks: dict[str, Webhook] = Field(default_factory=dict)
    contact: WayBack | None = None
    waiting: Waiting = Waiting()
    on_call: OnCallRota | None = Field(
        default=None, description="urgent cases out of office hours: who is paged, in order"
    )
    standard_names: dict[str, str] = Field(
        default_factory=dict, description="read from sla.yaml: what offices call each standard"
    )

    def language_for(self, asked: str) -> str:
        return asked if asked in self.languages else DEFAULT_LANGUAGE

    def follow_link(self, case_id: str, reference: str) -> str:
        if not self.follow_url:
            return ""
        return self.follow_url.format(case_id=case_id, reference=reference)
