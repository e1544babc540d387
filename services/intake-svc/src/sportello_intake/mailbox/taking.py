"""Taking in one message (a use case): a new case for the tenant's triage, the citizen's reply on
the case it answers, or nothing for what nobody wrote (auto-replies, receipts, bounces)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID

from pydantic import ValidationError
from sportello_contracts.cases import Citizen
from sportello_shared.batching import Batcher
from sportello_shared.tracing import new_traceparent
from sportello_shared.writer import Writer

from ..application import (
    IdempotencyConflict,
    IntakeApplication,
    RegisterCase,
    Registration,
)
from ..contacts import ContactUnusable, check_contacts
from ..domain import UNCLASSIFIED, Case, case_id_for
from .attachments import AttachmentStore, keep
from .config import Mailbox
from .parsing import MailItem, Unreadable, parse
from .text import clip, trim_reply

WRITTEN = frozenset({"email", "pec"})  # channels a citizen writes on (and replies to)
MAX_TRANSIT = timedelta(days=7)  # a Date further before arrival is a wrong clock: arrival counts
DESCRIPTION_LIMIT = 4000

Outcome = Literal["registered", "duplicate", "reply", "ignored"]


@dataclass(frozen=True)
class Taken:
    outcome: Outcome
    reference: str | None = None
    note: str = ""


def mail_key(message_key: str) -> str:
    """The idempotency key of the case a message makes: one case per message."""
    return f"mail:{message_key}"


def received_time(
    sent_at: datetime | None, arrived_at: datetime, now: datetime, certified: bool = False
) -> datetime:
    """The message's own time (Date; PEC's certified time, whatever its age), unless absent or
    implausible (a sender's clock ahead of ours, or a Date long before the arrival)."""
    arrived = min(arrived_at, now)
    if sent_at is None or sent_at > now or (arrived - sent_at > MAX_TRANSIT and not certified):
        return arrived
    return sent_at


def citizen_of(item: MailItem, mailbox: Mailbox) -> dict[str, Any]:
    """The sender (PEC: the certified one), or the caller the telephone system names."""
    if mailbox.channel in WRITTEN:
        if not item.sender_address:
            raise Unreadable("no_sender", "mittente mancante o illeggibile")
        name = item.sender_name or item.sender_address.split("@")[0]
        citizen = {"name": name[:200], "email": item.sender_address}
    else:
        number, name = _caller(item, mailbox)
        label = "Chiamante" if mailbox.channel == "voicemail" else "Fax"
        citizen = {"name": name or f"{label} {number}", "phone": number}
    try:
        valid = Citizen.model_validate(citizen).model_dump(mode="json", exclude_none=True)
        check_contacts(valid)
    except (ValidationError, ContactUnusable) as exc:
        raise Unreadable("no_contact", f"contatto del mittente non utilizzabile: {exc}") from exc
    return valid


def _caller(item: MailItem, mailbox: Mailbox) -> tuple[str, str]:
    text = f"{item.subject}\n{item.text}"
    for pattern in mailbox.patterns:
        found = re.search(pattern, text)
        if found and found.groupdict().get("number"):
            name = (found.groupdict().get("name") or "").strip()
            return " ".join(found.group("number").split()), name
    raise Unreadable("no_caller", "numero del chiamante assente (chiamata anonima?)")


def describe(item: MailItem, files: list[dict[str, Any]]) -> str:
    lines = [item.subject or "(senza oggetto)", "", trim_reply(item.text)]
    for entry in files:
        if "refused" in entry:
            lines.append(f"[allegato «{entry['name']}» non acquisito: {entry['refused']}]")
    return clip("\n".join(lines).strip(), DESCRIPTION_LIMIT)


def find_replied_case(app: IntakeApplication, tenant: str, item: MailItem) -> Case | None:
    """The case a message answers: by its In-Reply-To/References (a message that made a case),
    or by a reference in the subject written by the case's own citizen."""
    for message_id in item.refers_to:
        case = app.find_case(case_id_for(tenant, mail_key(message_id)))
        if case is not None:
            return case
    prefix = app.tenants[tenant].reference_prefix
    for reference in re.findall(rf"\b{prefix}-\d{{4}}-\d{{6}}\b", item.subject):
        case = app.case_by_reference(tenant, reference)
        if case is not None and str(case.citizen.get("email", "")).lower() == item.sender_address:
            return case
    return None


def record_reply(app: IntakeApplication, case_id: UUID, **message: Any) -> bool:
    """On the writer thread: the reply on the file, unless it is there already (and the case
    resumed, if it was waiting for the citizen)."""
    case = app.get_case(case_id)
    if not case.take_reply(**message, now=app.clock()):
        return False
    app.save(case)
    return True


class MailIntake:
    def __init__(
        self,
        app: IntakeApplication,
        writer: Writer,
        registrations: Batcher[RegisterCase, Registration],
        store: AttachmentStore,
        clock: Callable[[], datetime],
    ) -> None:
        self.app = app
        self.writer = writer
        self.registrations = registrations
        self.store = store
        self.clock = clock

    async def take_in(
        self, tenant: str, mailbox: Mailbox, raw: bytes, arrived_at: datetime
    ) -> Taken:
        """Returns once what the message made is committed; raises Unreadable."""
        if len(raw) > mailbox.max_message_bytes:
            raise Unreadable("too_large", f"messaggio oltre {mailbox.max_message_mb:g} MB")
        item = parse(raw)
        if item.automatic and mailbox.channel in WRITTEN:
            return Taken("ignored", note=item.automatic)
        received_at = received_time(item.sent_at, arrived_at, self.clock(), item.certified)
        actor = f"mailbox:{tenant}/{mailbox.id}"
        if mailbox.channel in WRITTEN:
            case = await self.writer.call(find_replied_case, self.app, tenant, item)
            if case is not None:
                return await self._reply(case, mailbox, item, received_at, actor)
        citizen = citizen_of(item, mailbox)
        owner = (case_id_for(tenant, mail_key(item.key)), await self._subject(citizen))
        files = await asyncio.to_thread(keep, self.store, item.parts, mailbox, owner)
        command = RegisterCase(
            tenant=tenant,
            kind=mailbox.kind,
            channel=mailbox.channel,
            category=UNCLASSIFIED,
            description=describe(item, files),
            citizen=citizen,
            actor=actor,
            received_at=received_at,
            attachments=files,
            idempotency_key=mail_key(item.key),
            traceparent=new_traceparent(),
            late_entry_reason=f"arrivato alla casella {mailbox.id} e registrato all'arrivo",
            message_id=item.message_id if mailbox.channel in WRITTEN else None,
        )
        try:
            registration = await self.registrations.submit(command)
        except IdempotencyConflict:  # taken in before, parsed differently (an older version)
            return Taken("duplicate", note="già registrato")
        outcome: Outcome = "registered" if registration.created else "duplicate"
        return Taken(outcome, registration.case.reference)

    async def _subject(self, citizen: dict[str, Any]) -> str:
        """Whose key will seal the case (its files go when that key is erased)."""
        try:
            subject: str = await self.writer.call(self.app.data_subject_of, citizen)
        except IndexError:  # no contact: registration refuses it anyway
            return ""
        return subject

    async def _reply(
        self, case: Case, mailbox: Mailbox, item: MailItem, at: datetime, actor: str
    ) -> Taken:
        owner = (case.id, case.data_subject)
        files = await asyncio.to_thread(keep, self.store, item.parts, mailbox, owner)
        text = clip(trim_reply(item.text) or item.subject, DESCRIPTION_LIMIT)
        added = await self.writer.call(
            record_reply,
            self.app,
            case.id,
            channel=mailbox.channel,
            message_key=mail_key(item.key),
            text=text,
            attachments=files,
            actor=actor,
            occurred_at=min(at, self.clock()),
            traceparent=new_traceparent(),
        )
        return Taken("reply" if added else "duplicate", case.reference)
