"""Each tenant's notify.yaml (deploy/tenants/<tenant>/notify.yaml), checked against tenant.yaml.

What offices call each standard, and how long the citizen has to answer when the office waits
for them, are the SLA's: they are read from the tenant's sla.yaml (its latest version), never
written twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sportello_shared.tenants import TenantCatalogue

from ..domain import NotifyPolicy

POLICY_FILE = "notify.yaml"
SLA_FILE = "sla.yaml"
WAITING_EVENT = "waiting_for_citizen"


class PolicyError(ValueError):
    pass


def load_policies(directory: Path, tenants: TenantCatalogue) -> dict[str, NotifyPolicy]:
    """Tenants without a notify.yaml get NotifyPolicy's defaults (see the application)."""
    policies: dict[str, NotifyPolicy] = {}
    for path in sorted(directory.glob(f"*/{POLICY_FILE}")):
        tenant = tenants.get(path.parent.name)
        if tenant is None:
            raise PolicyError(f"{path}: no tenant.yaml for {path.parent.name!r}")
        document = yaml.safe_load(path.read_text("utf-8")) or {}
        policy = NotifyPolicy.model_validate(document | sla_terms(path.parent / SLA_FILE, document))
        unknown = sorted(set(policy.webhooks) - {o.id for o in tenant.organizations})
        if unknown:
            raise PolicyError(f"{path}: webhooks for unknown organizations {unknown}")
        policies[tenant.id] = policy
    return policies


def sla_terms(path: Path, document: dict[str, Any]) -> dict[str, Any]:
    """Standard names from every version (the latest wins); the pause's limit from the latest."""
    if not path.exists():
        return {}
    versions = (yaml.safe_load(path.read_text("utf-8")) or {}).get("versions") or []
    versions = sorted(versions, key=lambda v: str(v.get("valid_from", "")))
    names: dict[str, str] = {}
    for version in versions:
        for standard in version.get("standards") or []:
            names[standard["id"]] = standard.get("name") or standard["id"]
    terms: dict[str, Any] = {"standard_names": names}
    pauses = [
        s["pause"]["max_days"]
        for s in (versions[-1].get("standards") or [] if versions else [])
        if (s.get("pause") or {}).get("suspended_by") == WAITING_EVENT
        and s["pause"].get("max_days")
    ]
    if pauses:
        terms["waiting"] = dict(document.get("waiting") or {}) | {"reply_days": min(pauses)}
    return terms
