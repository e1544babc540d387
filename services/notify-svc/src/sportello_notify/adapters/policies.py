"""Each tenant's notify.yaml (deploy/tenants/<tenant>/notify.yaml), checked against tenant.yaml."""

from __future__ import annotations

from pathlib import Path

import yaml
from sportello_shared.tenants import TenantCatalogue

from ..domain import NotifyPolicy

POLICY_FILE = "notify.yaml"


class PolicyError(ValueError):
    pass


def load_policies(directory: Path, tenants: TenantCatalogue) -> dict[str, NotifyPolicy]:
    """Tenants without a notify.yaml get NotifyPolicy's defaults (see the application)."""
    policies: dict[str, NotifyPolicy] = {}
    for path in sorted(directory.glob(f"*/{POLICY_FILE}")):
        tenant = tenants.get(path.parent.name)
        if tenant is None:
            raise PolicyError(f"{path}: no tenant.yaml for {path.parent.name!r}")
        policy = NotifyPolicy.model_validate(yaml.safe_load(path.read_text("utf-8")) or {})
        unknown = sorted(set(policy.webhooks) - {o.id for o in tenant.organizations})
        if unknown:
            raise PolicyError(f"{path}: webhooks for unknown organizations {unknown}")
        policies[tenant.id] = policy
    return policies
