"""The anomaly register's forms: what the URP or the office typed → sla-svc's bodies, with an
error per field (each form comes back with everything typed kept).

sla-svc decides (a text with personal data in it is its 422); these checks only spare a round
trip for what is plainly missing or malformed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sportello_web.dates import from_rome_input

from .services import Refused

KINDS = ("interruption", "other")
ACTION_STATUSES = ("planned", "in_progress", "done")
MIN_TEXT = 3
PROGRESS = ("any", "no_cause", "no_actions", "open", "done")


@dataclass
class Form:
    """One form's values (by field name) and errors (by field name: a message key or the
    service's own words)."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None  # what to send, once the checks pass

    @classmethod
    def of(cls, posted: Mapping[str, Any], names: Iterable[str]) -> Form:
        return cls({name: str(posted.get(name, "")).strip() for name in names})

    def with_body(self, build: Callable[[Form], dict[str, Any]]) -> Form:
        body = build(self)
        self.body = None if self.errors else body
        return self

    def text(self, name: str) -> str:
        value = self.values.get(name, "")
        if not value:
            self.errors[name] = "form.required"
        elif len(value) < MIN_TEXT:
            self.errors[name] = "form.short"
        return value

    def choice(self, name: str, allowed: Iterable[str]) -> str:
        value = self.values.get(name, "")
        if value not in set(allowed):
            self.errors[name] = "form.choose"
        return value

    def instant(self, name: str, required: bool) -> datetime | None:
        try:
            when = from_rome_input(self.values.get(name, ""))
        except ValueError:
            self.errors[name] = "form.datetime"
            return None
        if when is None and required:
            self.errors[name] = "form.required"
        elif when is not None and when > datetime.now(UTC):
            self.errors[name] = "form.future"
        return when

    def day(self, name: str) -> date | None:
        value = self.values.get(name, "")
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.errors[name] = "form.date"
            return None

    def refused(self, refusal: Refused, default: str) -> None:
        """sla-svc's refusal beside its field; one without a field (a text with personal data
        in it) beside `default`, the field the form is about."""
        for error in refusal.errors:
            name = str(error.get("field", "")).split(".")[-1]
            if name in self.values and name not in self.errors:
                self.errors[name] = str(error.get("message", ""))
        if not self.errors:
            self.errors[default] = refusal.detail or "form.complete"


def new_anomaly(posted: Mapping[str, Any], tenant: str, organization: str | None) -> Form:
    """An anomaly that is not a breach; `organization` None lets the form choose it."""
    return Form.of(posted, ("kind", "organization", "title", "started_at", "ended_at")).with_body(
        lambda form: _anomaly_body(form, tenant, organization)
    )


def _anomaly_body(form: Form, tenant: str, organization: str | None) -> dict[str, Any]:
    kind = form.choice("kind", KINDS)
    title = form.text("title")
    started = form.instant("started_at", required=True)
    ended = form.instant("ended_at", required=False)
    if started and ended and ended < started:
        form.errors["ended_at"] = "form.end_before_start"
    body: dict[str, Any] = {"tenant": tenant, "kind": kind, "title": title}
    office = organization or form.values.get("organization") or None
    if office:
        body["organization"] = office
    if started:
        body["started_at"] = started.isoformat()
    if ended:
        body["ended_at"] = ended.isoformat()
    return body


def cause(posted: Mapping[str, Any]) -> Form:
    return Form.of(posted, ("cause",)).with_body(lambda form: {"cause": form.text("cause")})


def new_action(posted: Mapping[str, Any]) -> Form:
    def body(form: Form) -> dict[str, Any]:
        found: dict[str, Any] = {
            "description": form.text("description"),
            "status": form.choice("status", ACTION_STATUSES),
        }
        due = form.day("due")
        if due:
            found["due"] = due.isoformat()
        return found

    return Form.of(posted, ("description", "status", "due")).with_body(body)


def action_status(posted: Mapping[str, Any]) -> Form:
    return Form.of(posted, ("status",)).with_body(
        lambda form: {"status": form.choice("status", ACTION_STATUSES)}
    )


def end(posted: Mapping[str, Any], started_at: str) -> Form:
    def body(form: Form) -> dict[str, Any]:
        ended = form.instant("ended_at", required=True)
        if ended and ended < datetime.fromisoformat(started_at):
            form.errors["ended_at"] = "form.end_before_start"
        return {"ended_at": ended.isoformat() if ended else None}

    return Form.of(posted, ("ended_at",)).with_body(body)


def progress_of(entry: Mapping[str, Any]) -> set[str]:
    """The filters an anomaly answers to (`PROGRESS`): its cause and its actions' state."""
    statuses = [a["status"] for a in entry.get("actions") or []]
    found = {"any"}
    if not entry.get("cause"):
        found.add("no_cause")
    if not statuses:
        found.add("no_actions")
    elif any(s != "done" for s in statuses):
        found.add("open")
    else:
        found.add("done")
    return found
