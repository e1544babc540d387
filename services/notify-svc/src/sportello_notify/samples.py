"""docs/messages.md: every message as people read it, rendered from the real templates.

    .venv/bin/python -m sportello_notify.samples deploy/tenants > docs/messages.md

A test renders it again and compares, so the document never drifts from the templates.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from sportello_shared.tenants import Tenant, load_tenants

from .adapters.policies import load_policies
from .adapters.rendering import TemplateRenderer
from .domain import NotifyPolicy, Template
from .messages import rendering_context, sample_context
from .wording import KINDS, MESSAGE_NAMES, kind_words

CITIZEN = (
    Template.RECEIVED,
    Template.TAKEN_IN_CHARGE,
    Template.WAITING_FOR_CITIZEN,
    Template.WAITING_REMINDER,
    Template.UNDER_REVIEW,
    Template.CLOSED,
    Template.CITIZEN_UPDATED,
    Template.MERGED,
    Template.DUPLICATE_MERGED,
    Template.PROTOCOLLED,
    Template.INSPECTION_SCHEDULED,
    Template.ATTESTATION_ISSUED,
)
OFFICE = (
    Template.ASSIGNED,
    Template.SLA_WARNING,
    Template.SLA_BREACHED,
    Template.ROUTING_FAILED,
    Template.DELIVERY_FAILED,
    Template.ON_CALL_ALERT,
)
SAMPLE_TENANT = "torino"
# As the reactions fill them: the citizen's contact only where an office must act on it.
SAMPLE_OVERRIDES: dict[Template, dict[str, str]] = {
    Template.ASSIGNED: {"urgent": "yes"},
    Template.SLA_WARNING: {"citizen_contact": ""},
    Template.ON_CALL_ALERT: {"urgent": "yes", "addressee": "Tecnico reperibile"},
}

HEADER = """# What people read: every message, as sent

Generated from the real templates (`services/notify-svc/src/sportello_notify/adapters/templates/`)
and the tenants' configuration, with invented case data, for a city's communication office to
review. Do not edit by hand: regenerate with

    .venv/bin/python -m sportello_notify.samples deploy/tenants > docs/messages.md

(`services/notify-svc/tests/unit/test_message_samples.py` fails when this file is out of date).

Citizens are written to in their language (Italian or English, if the tenant offers it); offices
in Italian. Each kind of case has its own word; the mail's sender is shown as the Comune, and
every citizen's message ends with the way back to the office (phone, hours, address, web page
from `deploy/tenants/<tenant>/notify.yaml`, hours from the triage office in `tenant.yaml`).
The samples below are for {tenant}; a segnalazione unless said otherwise. Offices get the
citizen's contact where they must act on it: an urgent case, a breached deadline, a case nobody
took. A tenant may reword any message in `deploy/tenants/<tenant>/templates/` (same file names,
found before the global ones): each such wording is shown at the end.
"""


def render_document(tenants_dir: Path, tenant_id: str = SAMPLE_TENANT) -> str:
    catalogue = load_tenants(tenants_dir)
    tenant = catalogue[tenant_id]
    policy = load_policies(tenants_dir, catalogue).get(tenant_id, NotifyPolicy())
    renderer = TemplateRenderer(tenants_dir=tenants_dir)
    parts = [HEADER.format(tenant=tenant.name), *_kinds_table(renderer, tenant, policy)]
    for template in CITIZEN:
        parts.append(f"\n## {MESSAGE_NAMES[template.value]} (`{template.value}`), to the citizen\n")
        for language in ("it", "en"):
            parts.extend(_sample(renderer, tenant, policy, template, language, "email"))
            parts.extend(_sample(renderer, tenant, policy, template, language, "sms"))
    for template in OFFICE:
        parts.append(f"\n## {MESSAGE_NAMES[template.value]} (`{template.value}`), to offices\n")
        parts.extend(_sample(renderer, tenant, policy, template, "it", "email"))
        if template is Template.ON_CALL_ALERT:  # sent by SMS: the rota's phones
            parts.extend(_sample(renderer, tenant, policy, template, "it", "sms"))
    for other, files in sorted(renderer.reworded().items()):
        parts.extend(
            _reworded(renderer, catalogue[other], load_policies(tenants_dir, catalogue), files)
        )
    return "\n".join(parts)


def _reworded(
    renderer: TemplateRenderer,
    tenant: Tenant,
    policies: dict[str, NotifyPolicy],
    files: set[str],
) -> Iterator[str]:
    """A tenant's own wording (deploy/tenants/<tenant>/templates/), each message it rewords."""
    policy = policies.get(tenant.id, NotifyPolicy())
    for template in [
        t for t in (*CITIZEN, *OFFICE) if any(f.startswith(f"{t.value}.") for f in files)
    ]:
        name = MESSAGE_NAMES[template.value]
        yield f"\n## {tenant.name}'s own wording: {name} (`{template.value}`)\n"
        for language in ("it", "en") if template in CITIZEN else ("it",):
            yield from _sample(renderer, tenant, policy, template, language, "email")
            if template in CITIZEN:
                yield from _sample(renderer, tenant, policy, template, language, "sms")


def _kinds_table(renderer: TemplateRenderer, tenant: Tenant, policy: NotifyPolicy) -> Iterator[str]:
    yield "\n## Each kind its own word: the subject of the taken-in-charge message\n"
    yield "| kind | Italian | English |"
    yield "|---|---|---|"
    for kind in KINDS:
        subjects = [
            renderer.render(
                Template.TAKEN_IN_CHARGE.value,
                language,
                rendering_context(
                    sample_context(tenant) | {"kind": kind}, language, tenant, policy
                ),
                tenant=tenant.id,
            ).subject
            for language in ("it", "en")
        ]
        yield f"| {kind_words(kind, 'it').noun} | {subjects[0]} | {subjects[1]} |"


def _sample(
    renderer: TemplateRenderer,
    tenant: Tenant,
    policy: NotifyPolicy,
    template: Template,
    language: str,
    channel: str,
) -> Iterator[str]:
    sample = sample_context(tenant) | SAMPLE_OVERRIDES.get(template, {})
    context = rendering_context(sample, language, tenant, policy)
    rendered = renderer.render(template.value, language, context, channel, tenant.id)
    label = {"it": "Italiano", "en": "English"}[language]
    if channel == "sms":
        yield f"{label}, SMS:\n\n```text\n{rendered.body}\n```\n"
        return
    sender = context.get("sender_name") or tenant.name
    yield f"{label}, e-mail from *{sender}*:\n"
    yield f"```text\nSubject: {rendered.subject}\n\n{rendered.body.rstrip()}\n```\n"


if __name__ == "__main__":
    sys.stdout.write(render_document(Path(sys.argv[1] if len(sys.argv) > 1 else "deploy/tenants")))
