"""Helpers for notify-svc's integration tests: case and SLA events as their services publish them,
a real SMTP server (aiosmtpd) and a real HTTP receiver on free ports, and reading what they got."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4, uuid5

import nats
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from eventsourcing.persistence import Tracking
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from sportello_contracts import CloudEvent, EventPayload, wrap
from sportello_contracts.cases import (
    CaseAssigned,
    CaseClosed,
    CaseReceived,
    CaseTakenInCharge,
    Citizen,
    text_facts,
)
from sportello_contracts.personal import PersonalAnswer, PersonalRefusal, PersonalRequest
from sportello_contracts.sla import SlaBreached, SlaWarning
from sportello_contracts.subjects import case_subject, sla_subject
from sportello_devstack.mailsink import MaildirHandler, read_mails
from sportello_devstack.natsserver import free_port
from sportello_devstack.testing import eventually  # noqa: F401 (tests import it from here)
from sportello_notify.adapters.policies import load_policies
from sportello_notify.application import NotifyApplication
from sportello_notify.main import NotifySettings
from sportello_shared.application import Incoming
from sportello_shared.bus import headers
from sportello_shared.bus.streams import stream_for
from sportello_shared.persistence import ensure_schema
from sportello_shared.tenants import load_tenants

ROOT = Path(__file__).parents[4]
TENANTS_DIR = ROOT / "deploy" / "tenants"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday morning
NOW = T0 + timedelta(hours=1)  # the application's clock, unless a test moves it
EMAIL = "maria.rossi@example.org"
OFFICE = "pm-reparto-5"
OFFICE_NAME = "Corpo di Polizia Municipale \u2013 Reparto 5"  # as in torino/tenant.yaml
OUTCOME = "Cassonetti svuotati e area pulita il 3 marzo."


# --- intake's side: what it answers on personal.<tenant>.notify ---------------------------------

# The citizen's file per case and the office's text per event, as intake would answer them: the
# events carry none of it (docs/security.md).
INTAKE_FILES: dict[str, PersonalAnswer] = {}
INTAKE_TEXTS: dict[str, str] = {}


def intake_answer(case_id: str, event_id: str | None) -> PersonalAnswer | None:
    found = INTAKE_FILES.get(case_id)
    if found is None:
        return None
    return found.model_copy(update={"text": INTAKE_TEXTS.get(event_id or "")})


@pytest.fixture
async def intake_answers(nats_url: str) -> AsyncIterator[list[str]]:
    """Intake's responder on personal.*.*, from INTAKE_FILES; yields the subjects asked."""
    asked: list[str] = []
    nc = await nats.connect(servers=[nats_url])

    async def answer(msg: Msg) -> None:
        asked.append(msg.subject)
        request = PersonalRequest.model_validate_json(msg.data)
        found: Any = intake_answer(request.case_id, request.event_id)
        body = found or PersonalRefusal(error="not_found")
        await msg.respond(body.model_dump_json(exclude_none=True).encode())

    await nc.subscribe("personal.*.*", cb=answer)
    yield asked
    await nc.close()


# --- case events, as published on the bus -------------------------------------------------------


@dataclass(frozen=True)
class Published:
    """One case event with the subject and headers its producer's relay would give it."""

    subject: str
    envelope: CloudEvent
    producer: str
    notification_id: int

    @property
    def incoming(self) -> Incoming:
        """As the consumer runner hands it over: with intake's answer for the events notify asks
        about (main.py's ConsumerSpec.personal_data)."""
        from sportello_contracts import parse_payload

        payload = parse_payload(self.envelope)
        personal = None
        if payload.event in ("received", "waiting_for_citizen", "closed", "citizen_updated"):
            personal = intake_answer(self.envelope.subject, self.envelope.id)
        return Incoming(self.envelope, payload, personal=personal)

    @property
    def tracking(self) -> Tracking:
        return Tracking(self.producer, self.notification_id)


def _published(
    payload: EventPayload,
    *,
    aggregate_id: object,
    version: int,
    organization: str | None,
    producer: str,
    notification_id: int,
    tenant: str = "torino",
    at: datetime = T0,
    text: str | None = None,
) -> Published:
    """`text`: the office's text of this event (request, outcome), which intake keeps."""
    make_subject = sla_subject if producer == "sla" else case_subject
    subject = make_subject(tenant, organization, payload.event)
    envelope = wrap(
        payload,
        aggregate_id=aggregate_id,
        aggregate_version=version,
        source=f"/sportello/{producer}-svc",
        subject=str(getattr(payload, "case_id", aggregate_id)),
        time=at,
        tenant=tenant,
        organization=subject.split(".")[2],
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    )
    if text is not None:
        INTAKE_TEXTS[envelope.id] = text
    return Published(subject, envelope, producer, notification_id)


@dataclass(frozen=True)
class CaseStory:
    """One case's life as notify sees it: received, assigned, taken in charge, closed."""

    case_id: str
    received: Published
    assigned: Published
    taken_in_charge: Published
    closed: Published

    @property
    def events(self) -> list[Published]:
        return [self.received, self.assigned, self.taken_in_charge, self.closed]


def case_story(
    *,
    email: str | None = EMAIL,
    language: str = "it",
    phone: str | None = None,
    address: str | None = None,
    first_notification_id: int = 1,
    case_id: str | None = None,
    tenant: str = "torino",
    at: datetime = T0,
    channel: str = "web",
    in_reply_to: str | None = None,
    category: str = "decoro_pulizia",
    office: str = OFFICE,
) -> CaseStory:
    """`at` is when the events were recorded; the application's clock decides if that is old.
    `in_reply_to`: the citizen wrote by e-mail, and intake answers their message's Message-ID."""
    case_id = case_id or str(uuid4())
    reference = "TO-2026-000042"
    n = first_notification_id
    t0 = at
    received = CaseReceived(
        case_id=case_id,
        reference=reference,
        occurred_at=t0,
        kind="segnalazione",
        channel=channel,
        category=category,
        received_at=t0,
        registered_at=t0,
    )
    citizen = Citizen(
        name="Maria Rossi", email=email, phone=phone, address=address, language=language
    )
    INTAKE_FILES[case_id] = PersonalAnswer(
        case_id=case_id,
        reference=reference,
        tenant=tenant,
        citizen=citizen.model_dump(mode="json", exclude_none=True),
        description="Cassonetti traboccanti in via Roma",
        in_reply_to=in_reply_to,
    )
    assigned = CaseAssigned(
        case_id=case_id,
        reference=reference,
        occurred_at=t0 + timedelta(minutes=5),
        organization=office,
        organization_name=OFFICE_NAME if office == OFFICE else office,
        rule_id="decoro",
        rule_version=1,
        reasons=[f"category {category}"],
    )
    taken = CaseTakenInCharge(
        case_id=case_id,
        reference=reference,
        occurred_at=t0 + timedelta(minutes=30),
        organization=office,
        operator="anna",
    )
    closed = CaseClosed(
        case_id=case_id,
        reference=reference,
        occurred_at=t0 + timedelta(minutes=50),
        **text_facts("outcome", OUTCOME),
    )
    assignment_id = uuid5(UUID(int=1), case_id)
    return CaseStory(
        case_id=case_id,
        received=_published(
            received,
            aggregate_id=case_id,
            version=1,
            organization=None,
            producer="intake",
            notification_id=n,
            tenant=tenant,
            at=t0,
        ),
        assigned=_published(
            assigned,
            aggregate_id=assignment_id,
            version=1,
            organization=office,
            producer="routing",
            notification_id=n,
            tenant=tenant,
            at=t0,
        ),
        taken_in_charge=_published(
            taken,
            aggregate_id=case_id,
            version=3,
            organization=office,
            producer="intake",
            notification_id=n + 1,
            tenant=tenant,
            at=t0,
        ),
        closed=_published(
            closed,
            aggregate_id=case_id,
            version=4,
            organization=office,
            producer="intake",
            notification_id=n + 2,
            tenant=tenant,
            at=t0,
            text=OUTCOME,
        ),
    )


def sla_event(
    story: CaseStory,
    kind: type[SlaWarning] | type[SlaBreached],
    *,
    organization: str | None = OFFICE,
    notification_id: int = 1,
) -> Published:
    """sla-svc's warning or breach of `answer_30d` on the story's case."""
    at = story.received.envelope.time
    payload = kind(
        case_id=story.case_id,
        standard="answer_30d",
        policy_version=1,
        started_at=at,
        deadline=at + timedelta(days=30),
        at=at + timedelta(minutes=20),
    )
    return _published(
        payload,
        aggregate_id=uuid5(UUID(int=2), story.case_id),
        version=notification_id,
        organization=organization,
        producer="sla",
        notification_id=notification_id,
        tenant=story.received.envelope.tenant,
        at=at,
    )


async def publish(js: JetStreamContext, event: Published, msg_id: str | None = None) -> None:
    await js.publish(
        event.subject,
        event.envelope.to_bytes(),
        stream=stream_for(event.subject),
        headers={
            headers.MSG_ID: msg_id or event.envelope.id,
            headers.PRODUCER: event.producer,
            headers.NOTIFICATION_ID: str(event.notification_id),
        },
    )


# --- the application on a real store ------------------------------------------------------------


def notify_settings(store: dict[str, str], **overrides: Any) -> NotifySettings:
    values: dict[str, Any] = {"SPORTELLO_TENANTS_DIR": str(TENANTS_DIR), **store, **overrides}
    return NotifySettings(**values)


class Clock:
    """The application's clock, which a test can move."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make_app(store: dict[str, str], clock: Clock | None = None, **kwargs: Any) -> NotifyApplication:
    settings = notify_settings(store)
    ensure_schema(settings)
    tenants = load_tenants(TENANTS_DIR)
    return NotifyApplication(
        tenants,
        env=settings.eventsourcing_env(),
        clock=clock or Clock(),
        policies=kwargs.pop("policies", None) or load_policies(TENANTS_DIR, tenants),
        **kwargs,
    )


# --- a real SMTP server -------------------------------------------------------------------------


@dataclass
class SmtpServer:
    port: int
    directory: Path
    handler: Any

    def mails(self) -> list[Message]:
        return read_mails(self.directory)


class Refusing:
    """Answers DATA with a fixed reply, e.g. a permanent 550."""

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.calls = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.calls += 1
        return self.reply


class FlakyThenAccepting(MaildirHandler):
    """Answers 451 (try again later) to the first `failures` messages, then keeps them."""

    def __init__(self, directory: Path, failures: int) -> None:
        super().__init__(directory)
        self.failures = failures
        self.calls = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            return "451 4.3.0 Mailbox busy, try again later"
        return await super().handle_DATA(server, session, envelope)


def start_smtp(handler: Any, directory: Path) -> tuple[SmtpServer, Controller]:
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return SmtpServer(port, directory, handler), controller


@pytest.fixture
def mail_sink(tmp_path: Path) -> Iterator[SmtpServer]:
    """devstack's sink: every accepted message kept as an .eml file."""
    directory = tmp_path / "mail"
    server, controller = start_smtp(MaildirHandler(directory), directory)
    yield server
    controller.stop()


# --- a real HTTP receiver (SMS provider, webhooks) ---------------------------------------------


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


class HttpReceiver:
    """An HTTP server on loopback that keeps every POST and answers with the statuses it is
    given, in order, then 202."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.requests: list[Received] = []
        self.statuses = list(statuses or [])
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests.append(Received(self.path, dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 202
                reply = json.dumps({"id": f"msg-{len(receiver.requests)}"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver()
    yield receiver
    receiver.stop()


# --- reading mails and waiting ------------------------------------------------------------------


def subject_of(message: Message) -> str:
    """Decoded and unfolded (long subjects are folded over lines on the wire)."""
    return " ".join(str(make_header(decode_header(message["Subject"]))).split())


def body_of(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(message.get_content_charset() or "utf-8")
