"""The triage's corrections on the case page (issue 18): recategorise a classified case, reject a
case at the door, and the on-call person's acknowledgment of an urgent case's alert.

Kept apart from `case.py`'s own entries: `case.ACTIONS` and `case.ACT_FIELDS` take these in.
Intake allows recategorising and rejecting to operators and admins only (`identity.py` offers
them so); notify allows the acknowledgment to whoever may act on the case.
"""

from __future__ import annotations

from typing import Any

# name → (service, path with {id}, fields sent)
TRIAGE_ACTIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "recategorise": ("intake", "/cases/{id}/recategorise", ("category", "kind")),
    "reject": ("intake", "/cases/{id}/reject", ("reason",)),
    "on-call-acknowledge": ("notify", "/cases/{id}/on-call/acknowledge", ()),
}
TRIAGE_OPTIONAL = {"kind"}  # none: the case keeps its kind
# the kinds of a case, as intake's contract names them (sportello_contracts.cases.Kind)
KINDS = (
    "segnalazione",
    "reclamo",
    "suggerimento",
    "richiesta_informazioni",
    "richiesta_intervento",
)
ON_CALL_ACTION = "on-call-acknowledge"


def triage_body(action: str, body: dict[str, Any]) -> dict[str, Any]:
    """What the service is sent: an empty kind is left out (the case keeps its own)."""
    if action == "recategorise" and not body.get("kind"):
        return {k: v for k, v in body.items() if k != "kind"}
    return body
