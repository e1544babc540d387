"""The development provider's demo users, one per role of each tenant (password `demo`).

Per tenant: `<tenant>.centralino` (call-taker: role operator), `<tenant>.supervisore` (URP
supervisor: operator with `supervisor`), one user per organization `<tenant>.<organization>`
(office or partner); and `admin`. Torino's Contact Center operators identify themselves by an
operator code (seed 000), carried in the `operator_code` claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sportello_shared.tenants import load_tenants

DEMO_PASSWORD = "demo"
OPERATOR_CODES = {"torino": "OP-0427"}


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: str
    tenant: str | None = None
    organization: str | None = None
    supervisor: bool = False
    operator_code: str | None = None

    def claims(self) -> dict[str, object]:
        """The claims beyond the services' own (roles, tenant, organization)."""
        claims: dict[str, object] = {"name": self.display_name}
        if self.supervisor:
            claims["supervisor"] = True
        if self.operator_code:
            claims["operator_code"] = self.operator_code
        return claims


def demo_users(tenants_dir: Path) -> list[DemoUser]:
    users: list[DemoUser] = []
    for tenant in load_tenants(tenants_dir):
        users.append(
            DemoUser(
                f"{tenant.id}.centralino",
                f"Operatore centralino, {tenant.name}",
                "operator",
                tenant.id,
                operator_code=OPERATOR_CODES.get(tenant.id),
            )
        )
        users.append(
            DemoUser(
                f"{tenant.id}.supervisore",
                f"Responsabile URP, {tenant.name}",
                "operator",
                tenant.id,
                supervisor=True,
            )
        )
        for org in tenant.organizations:
            users.append(DemoUser(f"{tenant.id}.{org.id}", org.name, org.kind, tenant.id, org.id))
    users.append(DemoUser("admin", "Amministratore di sistema", "admin"))
    names = [u.username for u in users]
    if len(names) != len(set(names)):  # an organization named like a role's user
        raise ValueError(
            f"demo usernames collide: {sorted(n for n in names if names.count(n) > 1)}"
        )
    return users
