"""Paging the on-call rota: an urgent case out of office hours, by SMS, until someone answers.

The alert is raised in the reaction to the urgent case's `case.assigned` (with that event's
tracking record); the first of the rota is paged at once. The escalation loop (main.py, one
replica under a lease) calls `escalate_on_call`: whoever was paged and did not acknowledge within
`escalate_after_minutes` is followed by the next number. The on-call person acknowledges through
the API as themselves (the token's subject); nobody is paged after that. Each page is a
notification like any other (SMS through the provider, retried, published, the URP told if it
fails for good); quiet hours do not hold it.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from .domain import (
    Audience,
    CaseFile,
    Channel,
    NoAlert,
    Notification,
    NotifyPolicy,
    OnCallAlert,
    OnCallBoard,
    OnCallRota,
    Template,
    case_file_id,
    on_call_alert_id,
    on_call_board_id,
)
from .messages import Context, citizen_reach, office_context
from .requesting import Requesting


class Paging(Requesting):
    policies: dict[str, NotifyPolicy]

    def _on_call_rota(self, case_file: CaseFile, at: datetime) -> OnCallRota | None:
        """The tenant's rota, if the case is urgent and `at` is outside its office hours."""
        policy = self.tenant_policy(case_file.tenant)
        tenant = self.tenants.get(case_file.tenant)
        category = tenant.category(case_file.category) if tenant else None
        rota = policy.on_call
        if rota is None or tenant is None or category is None or not category.urgent:
            return None
        if not policy.triggers.on_call_alert:
            return None
        if not rota.out_of_hours(at, tenant.timezone, tenant.patron_saint):
            return None  # the offices are in (never on a public holiday)
        return rota

    def _urgent_next(self, case_file: CaseFile, at: datetime) -> str:
        """What happens next to an urgent case, as its acknowledgment tells the citizen:
        "on_call" (out of office hours, the rota is paged), "office" (straight to the office),
        "" (not urgent)."""
        tenant = self.tenants.get(case_file.tenant)
        category = tenant.category(case_file.category) if tenant else None
        if category is None or not category.urgent:
            return ""
        return "on_call" if self._on_call_rota(case_file, at) is not None else "office"

    def _raise_on_call(
        self, case_file: CaseFile, rota: OnCallRota, at: datetime, traceparent: str | None
    ) -> list[Aggregate]:
        if self._find(OnCallAlert, on_call_alert_id(case_file.case_id)) is not None:
            return []  # one alert per case: a reassignment at night wakes nobody twice
        alert = OnCallAlert.raise_for(case_file.case_id, case_file.tenant, rota, at)
        board = self._find(OnCallBoard, on_call_board_id(case_file.tenant))
        board = board or OnCallBoard.for_tenant(case_file.tenant)
        board.add(alert.id)
        return [alert, board, *self._page(alert, case_file, rota, at, traceparent)]

    def _page(
        self,
        alert: OnCallAlert,
        case_file: CaseFile,
        rota: OnCallRota,
        at: datetime,
        traceparent: str | None,
    ) -> list[Aggregate]:
        index = alert.page_next(at)
        tenant = self.tenants.get(case_file.tenant)
        organization = case_file.organization or (tenant.triage if tenant else "")
        context: Context = office_context(case_file, tenant, organization) | citizen_reach(
            case_file
        )
        context["escalate_after"] = f"{rota.escalate_after_minutes:g}"
        if index is None or index >= len(rota.rota):
            return self._tell_urp_nobody_answered(alert, case_file, context, at)
        context |= {"addressee": rota.rota[index].name, "exhausted": ""}
        context["next_on_call"] = alert.rota[index + 1] if index + 1 < len(alert.rota) else ""
        notification = Notification.request(
            case_id=case_file.case_id,
            tenant=case_file.tenant,
            template=Template.ON_CALL_ALERT,
            trigger_event_id=f"{alert.id}:{index}",
            recipient=rota.rota[index].phone,
            language="it",
            context=context,
            requested_at=at,
            traceparent=traceparent,
            channel=Channel.SMS,
            audience=Audience.ON_CALL,
            organization=organization or None,
        )
        case_file.record_notification(notification.id)
        return [notification, case_file]

    def _tell_urp_nobody_answered(
        self, alert: OnCallAlert, case_file: CaseFile, context: Context, at: datetime
    ) -> list[Aggregate]:
        """The whole rota let the alert pass: the URP is mailed, once, to act on the case."""
        tenant = self.tenants.get(case_file.tenant)
        urp = tenant.organization(tenant.triage) if tenant else None
        if alert.exhausted_at != at or urp is None:
            return []
        context |= {"addressee": urp.name, "next_on_call": "", "exhausted": "yes"}
        notification = Notification.request(
            case_id=case_file.case_id,
            tenant=case_file.tenant,
            template=Template.ON_CALL_ALERT,
            trigger_event_id=f"{alert.id}:exhausted",
            recipient=urp.email,
            language="it",
            context=context,
            requested_at=at,
            traceparent=None,
            audience=Audience.URP,
            organization=urp.id,
        )
        case_file.record_notification(notification.id)
        return [notification, case_file]

    # --- the escalation loop and the on-call person ----------------------------------------------

    def escalate_on_call(self, now: datetime | None = None) -> list[UUID]:
        """Pages the next of the rota wherever the last one paged did not answer in time; the
        alerts that are done (acknowledged, rota exhausted) leave the board. Returns the alerts
        that moved."""
        now = now or self.clock()
        moved: list[UUID] = []
        for tenant, policy in self.policies.items():
            board = self._find(OnCallBoard, on_call_board_id(tenant))
            if board is None or policy.on_call is None:
                continue
            changed: list[Aggregate] = []
            for alert_id in list(board.waiting):
                alert = self._find(OnCallAlert, alert_id)
                if alert is None or not alert.due(now):
                    if alert is None or not alert.waiting:
                        board.remove(alert_id)
                    continue
                case_file = self._find(CaseFile, case_file_id(alert.case_id))
                if case_file is None:
                    continue
                changed += [alert, *self._page(alert, case_file, policy.on_call, now, None)]
                if not alert.waiting:
                    board.remove(alert_id)
                moved.append(alert_id)
            if changed or board.pending_events:
                self.save(board, *changed)
        return moved

    def acknowledge_on_call(self, case_id: str, actor: str) -> OnCallAlert:
        """The on-call person has it in hand: nobody else is paged."""
        alert = self.on_call_alert(case_id)
        alert.acknowledge(actor, self.clock())
        board = self._find(OnCallBoard, on_call_board_id(alert.tenant))
        if board is not None:
            board.remove(alert.id)
        self.save(alert, *([board] if board else []))
        return alert

    def on_call_alert(self, case_id: str) -> OnCallAlert:
        alert = self._find(OnCallAlert, on_call_alert_id(case_id))
        if alert is None:
            raise NoAlert(f"case {case_id} raised no on-call alert")
        return alert
