"""Who is signed in, from the provider's claims, and what the console offers them.

The services decide (their authorisation is the only authority); the console only avoids showing
buttons a user may not use. Roles as the services know them (operator, office, partner, admin,
auditor), plus the `supervisor` claim for the URP and Torino's `operator_code`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Kind = Literal["call_taker", "supervisor", "office", "admin", "auditor"]
REGISTER_READERS = ("supervisor", "office", "admin", "auditor")

OPEN_STATUSES = frozenset(
    {
        "received",
        "assigned",
        "routing_failed",
        "taken_in_charge",
        "citizen_contacted",
        "waiting_for_citizen",
        "resolved",
        "reopened",
        "reassignment_requested",
        "forwarded",  # triage-first: with the competent office
        "office_answered",  # triage-first: back with the front office
    }
)
IN_HANDS = frozenset({"taken_in_charge", "citizen_contacted", "office_answered"})

# The case commands, as intake-svc's state machine allows them.
ACTIONS_BY_STATUS: dict[str, frozenset[str]] = {
    "take-in-charge": frozenset({"assigned", "routing_failed", "reopened"}),
    "contact": IN_HANDS,
    "wait-for-citizen": IN_HANDS,
    "resume": frozenset({"waiting_for_citizen"}),
    "resolve": IN_HANDS,
    "close": IN_HANDS | {"resolved"},
    "request-reassignment": frozenset({"assigned", "routing_failed"}) | IN_HANDS,
    "reassign": frozenset({"assigned", "routing_failed", "reassignment_requested", "received"}),
    "reopen": frozenset({"resolved", "closed"}),
    # only a case registered `da_classificare` (the case page checks its category)
    "classify": frozenset({"received", "assigned", "routing_failed"})
    | (IN_HANDS - {"office_answered"}),
    # the triage-first workflow: the front office forwards, the office answers it
    "forward": IN_HANDS | {"forwarded"},
    "office-answer": frozenset({"forwarded"}),
}
# The triage's corrections (issue 18): intake lets only operator and admin do them. Reject
# refuses a case at the door (as registered only); recategorise corrects a classified case's
# kind or category where intake may classify (the case page checks it is classified).
TRIAGE_ACTIONS_BY_STATUS: dict[str, frozenset[str]] = {
    "reject": frozenset({"received"}),
    "recategorise": frozenset({"received", "assigned", "routing_failed"})
    | (IN_HANDS - {"office_answered"}),
}
ACTIONS_BY_STATUS.update(TRIAGE_ACTIONS_BY_STATUS)


# The case's other acts (issue 18): corrections, communication, the contact centre's acts on a
# call; offered apart from the lifecycle's steps. Offices get those of their own cases in
# OFFICE_ACTS; the contact centre's (transfer, consult, callback, dismiss, merge) are its own.
AFTER_REGISTRATION = OPEN_STATUSES - {"received", "resolved"}
IN_OFFICE_HANDS = frozenset({"taken_in_charge", "citizen_contacted"})
ACTS_BY_STATUS: dict[str, frozenset[str]] = {
    "note": OPEN_STATUSES | {"closed", "rejected"},
    "update-citizen": OPEN_STATUSES,
    "schedule-callback": OPEN_STATUSES,
    "callback-done": OPEN_STATUSES,
    "consult": OPEN_STATUSES,
    "transfer": OPEN_STATUSES,
    "dismiss": AFTER_REGISTRATION,
    "merge": AFTER_REGISTRATION,
    # Casale's procedures (issue 18 point 6): only where the tenant's procedures.yaml says
    # (procedure_forms.ProcedureSteps filters them on the case page)
    "protocol": OPEN_STATUSES,
    # triage-first: the office inspects the case forwarded to it, the front office attests once
    # the office has answered (procedure_forms.ProcedureSteps decides by the tenant's workflow)
    "schedule-inspection": IN_OFFICE_HANDS | {"forwarded"},
    "report-inspection": IN_OFFICE_HANDS | {"forwarded"},
    "issue-attestation": IN_OFFICE_HANDS | {"office_answered"},
}
OFFICE_ACTS = frozenset(
    {"note", "update-citizen", "callback-done"}
    | {"schedule-inspection", "report-inspection", "issue-attestation"}
)


@dataclass(frozen=True)
class StaffUser:
    subject: str
    name: str
    role: str
    tenant: str | None = None
    organization: str | None = None
    supervisor: bool = False
    operator_code: str | None = None

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> StaffUser:
        roles = claims.get("roles") or []
        role = next(
            (r for r in ("admin", "operator", "office", "partner", "auditor") if r in roles), ""
        )
        return cls(
            subject=str(claims["sub"]),
            name=str(claims.get("name") or claims.get("preferred_username") or claims["sub"]),
            role=role,
            tenant=claims.get("tenant"),
            organization=claims.get("organization"),
            supervisor=bool(claims.get("supervisor")),
            operator_code=claims.get("operator_code"),
        )

    def to_session(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def kind(self) -> Kind:
        if self.role == "admin":
            return "admin"
        if self.role == "auditor":
            return "auditor"
        if self.role == "operator":
            return "supervisor" if self.supervisor else "call_taker"
        return "office"

    @property
    def registers_cases(self) -> bool:
        return self.kind in ("call_taker", "supervisor")

    @property
    def sees_dashboard(self) -> bool:
        return self.kind in ("supervisor", "admin", "auditor")

    @property
    def reads_register(self) -> bool:
        """The anomaly register: the URP's, an office's for its own, the admin's, the auditor's."""
        return self.kind in REGISTER_READERS

    @property
    def decides_reopening(self) -> bool:
        """The URP and the contact centre answer the citizens' requests to reopen."""
        return self.kind in ("call_taker", "supervisor", "admin")

    @property
    def may_act_on_any_case(self) -> bool:
        """Operators and admins act on every case of their tenant; offices on their own."""
        return self.role in ("operator", "admin")

    def may_act_on(self, organization: str | None) -> bool:
        """As the services' `require_act` (tenant checked by them): not an auditor; an office
        on its own organization's cases."""
        if self.kind == "auditor":
            return False
        return self.may_act_on_any_case or (
            organization is not None and organization == self.organization
        )

    @property
    def actor_label(self) -> str:
        """How the user appears on a case: Torino's operators by their operator code."""
        return f"{self.name} ({self.operator_code})" if self.operator_code else self.name

    def acts(self, status: str, organization: str | None) -> list[str]:
        """The other acts worth offering on a case in `status` (notes, updates, a call's acts)."""
        if self.kind == "auditor":
            return []
        offered = [a for a, statuses in ACTS_BY_STATUS.items() if status in statuses]
        if self.kind == "office":
            mine = organization == self.organization
            return [a for a in offered if mine and a in OFFICE_ACTS]
        return offered

    def actions(self, status: str, organization: str | None) -> list[str]:
        """The commands worth offering on a case in `status` handled by `organization`."""
        if self.kind == "auditor":
            return []
        offered = [a for a, statuses in ACTIONS_BY_STATUS.items() if status in statuses]
        if self.kind == "office":
            mine = organization == self.organization
            theirs = ("reassign", "reopen", "classify", "forward", *TRIAGE_ACTIONS_BY_STATUS)
            return [a for a in offered if mine and a not in theirs]
        if self.kind == "call_taker":
            return [a for a in offered if a not in ("reassign",)]
        return offered
