"""Who sees the anomaly register and the yearly report, and the calls to sla-svc they share.

sla-svc decides (its authorisation is the only authority); these checks only keep pages and
buttons from users who could not use them: the register is the URP's (supervisor), an office's
for its own anomalies, the administrator's and the auditor's (who reads only); the yearly report
is the URP's, the administrator's and the auditor's, and the URP or the administrator publish it.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from fastapi import HTTPException
from sportello_web.dates import ROME

from ..identity import StaffUser
from ..services import Refused
from .common import Console

REGISTER_WRITERS = ("supervisor", "office", "admin")
REPORT_READERS = ("supervisor", "admin", "auditor")
REPORT_PUBLISHERS = ("supervisor", "admin")


def writes_register(user: StaffUser) -> bool:
    return user.kind in REGISTER_WRITERS


def publishes_reports(user: StaffUser) -> bool:
    return user.kind in REPORT_PUBLISHERS


def require(console: Console, kinds: tuple[str, ...], what: str) -> None:
    if console.user.kind not in kinds:
        raise HTTPException(403, f"{what} is for {', '.join(kinds)}")


def tenant_for(console: Console, asked: str | None) -> str | None:
    """The user's own tenant; an administrator or auditor of all tenants picks one."""
    if console.user.tenant:
        return console.user.tenant
    return asked if asked and console.tenants.get(asked) else None


@cache
def standard_names(tenants_dir: Path, tenant: str) -> dict[str, str]:
    """The Carta's standards by id → their names, from the tenant's `sla.yaml` (the register
    names a breach by its standard's id); the latest version's name wins."""
    path = tenants_dir / tenant / "sla.yaml"
    if not path.exists():
        return {}
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    versions = sorted(document.get("versions") or [], key=lambda v: v.get("version", 0))
    return {
        str(s["id"]): str(s.get("name") or s["id"])
        for version in versions
        for s in version.get("standards") or []
    }


def names_of(console: Console, tenant: str | None) -> dict[str, str]:
    return standard_names(console.settings.tenants_dir, tenant) if tenant else {}


def this_year() -> int:
    return datetime.now(ROME).year


def year_of(text: str | None, default: int) -> int:
    """A year from the query (2000-2100, as sla-svc takes them), else `default`."""
    if text and text.isdigit() and 2000 <= int(text) <= 2100:
        return int(text)
    return default


async def call(console: Console, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """A write to sla-svc with the user's token (PUT and PATCH too)."""
    return await console.services.call(console.token, "sla", method, path, json=body)


def refused_page(refused: Refused) -> HTTPException:
    """A refusal of a read (403 for another office's anomaly, 404): the error page."""
    return HTTPException(refused.status, refused.detail)
