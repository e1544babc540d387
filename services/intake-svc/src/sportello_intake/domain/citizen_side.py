"""What the citizen and the triage add to a case besides its lifecycle steps: a request to
reopen, a later message, the classification of a case that came by itself."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import events as e
from .errors import (
    AlreadyClassified,
    NothingToRecategorise,
    ReopenWindowClosed,
    TransitionNotAllowed,
)
from .status import CLASSIFIABLE, UNCLASSIFIED, Status


class CitizenSide:
    """Mixed into `Case` (methods only: its events are `events.py`'s)."""

    if TYPE_CHECKING:  # what it uses of the Case
        status: Status
        category: str
        kind: str
        reference: str
        data_subject: str
        closed_at: datetime | None
        reopen_requested: str | None
        messages_taken: list[str]
        last_occurred_at: datetime
        resume: Callable[..., None]

        def _stamp(self, actor: str, now: datetime, trace: str | None) -> dict[str, Any]: ...

        def trigger_event(self, event_class: type[Any], **kwargs: Any) -> None: ...

    def request_reopening(
        self,
        reason: str,
        window: timedelta,
        actor: str,
        now: datetime,
        traceparent: str | None,
    ) -> None:
        """Within `window` of the closing; asking again before the URP decides changes nothing."""
        if self.status is not Status.CLOSED or self.closed_at is None:
            raise TransitionNotAllowed("ask to reopen", self.status)
        if now - self.closed_at > window:
            raise ReopenWindowClosed(
                f"a case can be reopened up to {window.days} days after closing"
            )
        if self.reopen_requested is not None:
            return
        self.trigger_event(
            e.ReopenRequested,
            **self._stamp(actor, now, traceparent),
            reason=reason,
            data_subject=self.data_subject,
        )

    def record_citizen_message(
        self,
        channel: str,
        message_key: str,
        text: str,
        attachments: list[dict[str, Any]],
        actor: str,
        occurred_at: datetime,
        traceparent: str | None,
    ) -> bool:
        """False when this message is on the file already (delivered twice)."""
        if message_key in self.messages_taken:
            return False
        self.trigger_event(
            e.CitizenWrote,
            **self._stamp(actor, occurred_at, traceparent),
            channel=channel,
            message_key=message_key,
            text=text,
            attachments=attachments,
            data_subject=self.data_subject,
        )
        return True

    def take_reply(
        self,
        channel: str,
        message_key: str,
        text: str,
        attachments: list[dict[str, Any]],
        actor: str,
        occurred_at: datetime,
        now: datetime,
        traceparent: str | None,
    ) -> bool:
        """The citizen's reply on the file; if the office was waiting for them (and the message
        came after it asked), the case resumes at the message's time: the clocks' pause ends
        then. False when the message is on the file already."""
        answers = self.status is Status.WAITING_FOR_CITIZEN and occurred_at >= self.last_occurred_at
        message = (channel, message_key, text, attachments, actor, occurred_at, traceparent)
        if not self.record_citizen_message(*message):
            return False
        if answers:
            self.resume(actor, occurred_at, now, traceparent)
        return True

    def classify(
        self,
        kind: str,
        category: str,
        citizen: dict[str, Any] | None,
        actor: str,
        now: datetime,
        traceparent: str | None,
    ) -> None:
        """Once, on a case registered `da_classificare` (the category was checked against the
        tenant's catalogue by the caller)."""
        if self.category != UNCLASSIFIED:
            raise AlreadyClassified(self.reference, self.category)
        self.recategorise(kind, category, citizen, actor, now, traceparent, "classify")

    def recategorise(
        self,
        kind: str,
        category: str,
        citizen: dict[str, Any] | None,
        actor: str,
        now: datetime,
        traceparent: str | None,
        action: str = "recategorise",
    ) -> None:
        """A classified case whose kind or category was wrong (a *reclamo* filed as a
        *segnalazione*): the same `Classified`, so routing routes it again and the SLA starts
        the standards that now apply, from when it was received; audited in the timeline."""
        if self.status not in CLASSIFIABLE:
            raise TransitionNotAllowed(action, self.status)
        if (kind, category) == (self.kind, self.category):
            raise NothingToRecategorise(self.reference, kind, category)
        self.trigger_event(
            e.Classified,
            **self._stamp(actor, now, traceparent),
            kind=kind,
            category=category,
            previous_category=self.category,
            citizen=citizen,
            data_subject=self.data_subject,
        )
