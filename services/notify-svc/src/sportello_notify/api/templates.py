"""What a message looks like for a tenant, with invented case data."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from ..domain import Template
from ..messages import rendering_context, sample_context
from .deps import NotifyDep


class Preview(BaseModel):
    template: str
    tenant: str
    language: str
    channel: str
    subject: str
    body: str


router = APIRouter(tags=["templates"])


@router.get("/templates/{name}/preview")
async def preview(
    name: Template,
    tenant: str,
    notify: NotifyDep,
    lang: Literal["it", "en"] = "it",
    channel: Literal["email", "sms", "letter", "webhook"] = "email",
) -> Preview:
    known = notify.tenant(tenant)
    policy = notify.app.tenant_policy(known.id)
    context = rendering_context(sample_context(known), lang, known, policy)
    rendered = notify.renderer.render(name.value, lang, context, channel, known.id)
    return Preview(
        template=name.value,
        tenant=tenant,
        language=lang,
        channel=channel,
        subject=rendered.subject,
        body=rendered.body,
    )
