"""Every message, kind, language and tenant, as the dispatcher renders it: what people read.

The real templates, the real tenant files (deploy/tenants), the values the reactions store.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path
from uuid import UUID

import pytest
from sportello_notify.adapters.delivery import OutgoingMessage
from sportello_notify.adapters.mail_wire import wire_bytes
from sportello_notify.adapters.mailer import build_message, message_id
from sportello_notify.adapters.policies import load_policies
from sportello_notify.adapters.rendering import RenderedMessage, TemplateRenderer
from sportello_notify.domain import NotifyPolicy, Template
from sportello_notify.messages import rendering_context, sample_context
from sportello_notify.samples import CITIZEN, OFFICE
from sportello_notify.wording import KINDS, kind_words
from sportello_shared.tenants import Tenant, load_tenants

TENANTS_DIR = Path(__file__).resolve().parents[4] / "deploy" / "tenants"
CATALOGUE = load_tenants(TENANTS_DIR)
POLICIES = load_policies(TENANTS_DIR, CATALOGUE)
TENANTS = sorted(t.id for t in CATALOGUE)
LANGUAGES = ("it", "en")
RENDERER = TemplateRenderer(tenants_dir=TENANTS_DIR)  # with each tenant's own wording
CASE_UUID = "0b5bd3a4-25a4-4b57-9d41-7c8e1a0e6d10"
INTERNAL_ID = re.compile(r"\b[a-z]+_[a-z0-9_]+\b")  # first_contact_5wd, taken_in_charge
STANDARD = "Risposta al cittadino entro 30 giorni"
_AT = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # 03:00: no "Buongiorno" at this hour


def render(
    template: Template,
    tenant: Tenant,
    language: str,
    kind: str = "segnalazione",
    channel: str = "email",
    drop: tuple[str, ...] = (),
    **values: str,
) -> tuple[RenderedMessage, dict[str, str]]:
    policy = POLICIES.get(tenant.id, NotifyPolicy())
    stored = sample_context(tenant) | {"kind": kind, "standard": STANDARD} | values
    stored = {key: value for key, value in stored.items() if key not in drop}
    context = rendering_context(stored, language, tenant, policy)
    return RENDERER.render(template.value, language, context, channel, tenant.id), context


def test_every_message_has_its_samples_and_the_samples_cover_every_message() -> None:
    assert {t.value for t in (*CITIZEN, *OFFICE)} == {t.value for t in Template}
    assert RENDERER.templates() == {t.value for t in Template}


@pytest.mark.parametrize("tenant_id", TENANTS)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("template", CITIZEN)
def test_a_citizen_message_names_the_kind_shows_the_reference_and_a_way_back(
    template: Template, kind: str, language: str, tenant_id: str
) -> None:
    tenant = CATALOGUE[tenant_id]
    message, context = render(template, tenant, language, kind)
    reference = context["reference"]
    your = kind_words(kind, language).your
    assert reference in message.subject and message.subject.startswith(tenant.name)
    assert your.capitalize() in message.subject or your in message.subject
    assert reference in message.body and CASE_UUID not in message.body
    assert "{{" not in message.body and ".." not in message.body.replace("...", "")
    # the way back: who, which phone and when, from the tenant's configuration
    assert context["contact_phone"] and context["contact_phone"] in message.body
    assert context["contact_office"] in message.body and context["contact_hours"] in message.body
    assert "Buongiorno" not in message.body and "Good morning" not in message.body
    if language == "it":
        ending = kind_words(kind, "it").ending
        wrong = {"a": "o", "o": "a"}[ending]
        assert f"stat{wrong} " not in message.subject + message.body.split("\n\n")[1]
    else:
        assert "segnalazione" not in message.body and "pratica" not in message.body
    sms, _ = render(template, tenant, language, kind, "sms")
    assert reference in sms.body and "\n" not in sms.body and len(sms.body) <= 480


@pytest.mark.parametrize("tenant_id", TENANTS)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("template", OFFICE)
def test_an_office_message_speaks_in_names_not_internal_ids(
    template: Template, kind: str, tenant_id: str
) -> None:
    tenant = CATALOGUE[tenant_id]
    message, context = render(template, tenant, "it", kind, failed_template="taken_in_charge")
    assert context["reference"] in message.subject and CASE_UUID not in message.body
    assert not INTERNAL_ID.findall(message.subject + message.body)
    assert kind_words(kind, "it").noun in message.body or template is Template.DELIVERY_FAILED
    assert message.body.startswith(f"Spettabile {context['addressee']},\n")
    assert "Buongiorno" not in message.body and "{{" not in message.body


@pytest.mark.parametrize("organization", [o.id for o in CATALOGUE["pisa"].organizations])
@pytest.mark.parametrize("template", [*CITIZEN, *OFFICE])
def test_names_ending_in_a_stop_are_never_followed_by_another(
    template: Template, organization: str
) -> None:
    """Organization names are never put after an article or a preposition, nor before a stop."""
    tenant = CATALOGUE["pisa"]
    name = tenant.organization(organization).name  # type: ignore[union-attr]
    for language in LANGUAGES if template in CITIZEN else ("it",):
        message, _ = render(template, tenant, language, office=name, addressee=name)
        text = message.subject + "\n" + message.body
        assert ".." not in text.replace("...", "")
        for bad in ("da ", "a ", "al ", "dal ", "di "):
            assert f" {bad}{name}" not in text


def test_urgent_and_breach_mails_carry_where_and_how_to_reach_the_citizen() -> None:
    tenant = CATALOGUE["marcallo"]
    reach = "Nome: Maria Rossi\nTelefono: +39 333 1234567"
    urgent, _ = render(Template.ASSIGNED, tenant, "it", urgent="yes", citizen_contact=reach)
    assert urgent.subject.startswith("Comune di Marcallo con Casone - URGENTE")
    breached, _ = render(Template.SLA_BREACHED, tenant, "it", citizen_contact=reach)
    for message in (urgent, breached):
        assert "Luogo indicato: via Roma 12" in message.body
        assert "Come contattare il cittadino:\n" + reach in message.body
    warning, _ = render(Template.SLA_WARNING, tenant, "it", citizen_contact="")
    assert "Come contattare" not in warning.body and STANDARD in warning.subject


def test_the_request_to_the_citizen_says_what_how_and_by_when() -> None:
    tenant = CATALOGUE["torino"]
    asked = "Una fotografia del guasto."
    for language, how, by in (("it", "Come rispondere", "Entro quando: "), ("en", "How", "By ")):
        message, _ = render(
            Template.WAITING_FOR_CITIZEN, tenant, language, request=asked, reply_by="16/03/2026"
        )
        assert asked in message.body and how in message.body and f"{by}" in message.body
        assert "16/03/2026" in message.body and "011 4426495" in message.body
        reminder, _ = render(
            Template.WAITING_REMINDER, tenant, language, request=asked, reply_by="16/03/2026"
        )
        assert "16/03/2026" in reminder.subject and asked in reminder.body


def test_the_survey_link_is_in_the_closing_message_only_when_offered() -> None:
    tenant = CATALOGUE["torino"]
    without, _ = render(Template.CLOSED, tenant, "it", drop=("survey_url",))
    assert "da 1 a 5" not in without.body
    for language, said in (("it", "da 1 a 5"), ("en", "from 1 to 5")):
        offered, _ = render(Template.CLOSED, tenant, language, survey_url="https://s.example/t")
        assert said in offered.body and "https://s.example/t" in offered.body


def test_the_acknowledgment_shows_the_follow_link_when_there_is_one() -> None:
    tenant = CATALOGUE["rescaldina"]
    plain, _ = render(Template.RECEIVED, tenant, "it")
    assert "indichi il numero RE-2026-000123" in plain.body and "Open311" not in plain.body
    linked, _ = render(Template.RECEIVED, tenant, "en", follow_url="https://f.example/x")
    assert "follow it here:\nhttps://f.example/x" in linked.body


@pytest.mark.parametrize("tenant_id", TENANTS)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", [*CITIZEN, *OFFICE])
def test_every_subject_is_valid_rfc_2047_and_the_sender_is_the_comune(
    template: Template, language: str, tenant_id: str
) -> None:
    tenant = CATALOGUE[tenant_id]
    message, context = render(template, tenant, language, kind="richiesta_informazioni")
    mail = OutgoingMessage(
        notification_id=UUID(CASE_UUID),
        message_key=CASE_UUID,
        tenant=tenant.id,
        organization=None,
        case_id=CASE_UUID,
        template=template.value,
        recipient="maria.rossi@example.org",
        subject=message.subject,
        body=message.body,
        language=language,
        sender_name=context["sender_name"],
    )
    account = "Sportello <noreply@sportello.example>"
    written = wire_bytes(
        mail, account, _AT, message_id=message_id(mail.message_key), in_reply_to=""
    )
    assert written is not None, "written directly, not through `email`"
    for raw in (build_message(mail, account, _AT).as_bytes(), written.replace(b"\r\n", b"\n")):
        headers = raw.split(b"\n\n", 1)[0].decode("ascii")
        assert "=?utf-8?q??=" not in headers.lower()
        subject_line = next(line for line in headers.split("\n") if line.startswith("Subject:"))
        assert subject_line.removeprefix("Subject:").strip(), "a subject folded to start blank"
        parsed = message_from_bytes(raw)
        unfolded = parsed["Subject"].replace("\n", "")
        assert str(make_header(decode_header(unfolded))) == message.subject
        sender = str(make_header(decode_header(parsed["From"].replace("\n", ""))))
        assert sender == f"{tenant.name} <noreply@sportello.example>"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_marcallo_s_closing_thanks_the_citizen_and_no_other_tenant_s_does(
    kind: str, language: str
) -> None:
    thanks = {"it": "la ringrazia", "en": "thanks you"}[language]
    for tenant_id in TENANTS:
        message, _ = render(Template.CLOSED, CATALOGUE[tenant_id], language, kind)
        assert (thanks in message.body) is (tenant_id == "marcallo"), tenant_id
        sms, _ = render(Template.CLOSED, CATALOGUE[tenant_id], language, kind, "sms")
        said = {"it": "grazie", "en": "thank you"}[language]
        assert (said in sms.body) is (tenant_id == "marcallo"), tenant_id
    marcallo, _ = render(Template.CLOSED, CATALOGUE["marcallo"], language, kind)
    assert "800 100337" in marcallo.body
    assert {"it": "Esito:\n", "en": "Outcome:\n"}[language] + "Il guasto" in marcallo.body


@pytest.mark.parametrize("tenant_id", TENANTS)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("urgent_next", ["on_call", "office", ""])
def test_the_acknowledgment_of_an_urgent_case_says_what_happens_next(
    urgent_next: str, kind: str, language: str, tenant_id: str
) -> None:
    tenant = CATALOGUE[tenant_id]
    message, _ = render(Template.RECEIVED, tenant, language, kind, urgent_next=urgent_next)
    sms, _ = render(Template.RECEIVED, tenant, language, kind, "sms", urgent_next=urgent_next)
    said = {
        ("it", "on_call"): ("il personale reperibile è stato avvisato ora", "il reperibile"),
        ("it", "office"): ("inoltrat", "inoltrat"),
        ("en", "on_call"): ("the staff on call have been alerted now", "staff on call"),
        ("en", "office"): ("passed at once to the office in charge", "passed at once"),
    }.get((language, urgent_next))
    if said is None:
        assert "112" not in message.body and "rgent" not in sms.body
        return
    assert said[0] in message.body and "112" in message.body
    assert said[1] in sms.body and len(sms.body) <= 480
    assert ".." not in message.body.replace("...", "") + sms.body.replace("...", "")
    if language == "it":
        ending = kind_words(kind, "it").ending
        assert urgent_next != "office" or f"inoltrat{ending} subito" in message.body
