"""The on-call alert of an urgent case, as notify-svc knows it: who of the rota was paged and
when, who acknowledged it, or that nobody answered. 404 from notify: no alert (nothing shown);
notify unreachable: the page says the alert's state is unknown, and still renders."""

from __future__ import annotations

from typing import Any

from ..services import Refused, Unavailable
from .common import Console


def is_urgent(console: Console, case: dict[str, Any]) -> bool:
    """The case's category is marked `urgent` in its tenant's catalogue (Marcallo's)."""
    tenant = console.tenants.get(case["tenant"])
    category = tenant.category(case["category"]) if tenant else None
    return bool(category and category.urgent)


async def on_call_panel(console: Console, case: dict[str, Any]) -> dict[str, Any] | None:
    """What the page shows of the alert: None (not urgent, or no alert), or the state
    (`known`, `unknown`), the alert and whether this user may acknowledge it."""
    if not is_urgent(console, case):
        return None
    try:
        alert: dict[str, Any] = await console.get("notify", f"/cases/{case['case_id']}/on-call")
    except Unavailable:
        return {"state": "unknown", "alert": None, "may_acknowledge": False}
    except Refused:  # 404: no alert (office hours, or no rota); 403: not theirs to see
        return None
    may = console.user.may_act_on(case.get("organization")) and not alert.get("acknowledged_by")
    return {"state": "known", "alert": alert, "may_acknowledge": may}
