"""What the case page calls the messages sent and routing's steps, instead of internal ids."""

from __future__ import annotations

IT = {
    "msg.t.received": "Conferma di ricezione", "msg.t.taken_in_charge": "Presa in carico",
    "msg.t.closed": "Chiusura con esito", "msg.t.waiting_for_citizen": "Richiesta al cittadino",
    "msg.t.waiting_reminder": "Promemoria della richiesta", "msg.t.under_review": "In esame",
    "msg.t.assigned": "Nuova pratica all'ufficio", "msg.t.sla_warning": "Scadenza vicina",
    "msg.t.sla_breached": "Scadenza superata", "msg.t.delivery_failed": "Recapito non riuscito",
    "msg.t.routing_failed": "Pratica da smistare",
    "msg.a.citizen": "Cittadino", "msg.a.organization": "Ufficio", "msg.a.urp": "URP",
    "msg.s.requested": "In invio", "msg.s.sent": "Inviato", "msg.s.failed": "Non recapitato",
    "msg.s.withdrawn": "Non più necessario",
    "channel.sms": "SMS", "channel.webhook": "Webhook", "channel.letter": "Lettera",
    "route.assigned": "assegnata", "route.declined": "rifiutata dall'ufficio",
    "route.routing_failed": "nessun ufficio competente", "route.reassigned": "riassegnata",
    "route.classified": "classificata",
    "done.classify": "Classificata: il nuovo ufficio la riceve dallo smistamento.",
    "category.unclassified": "Da classificare", "event.classified": "Classificata",
}  # fmt: skip

EN = {
    "msg.t.received": "Acknowledgment", "msg.t.taken_in_charge": "Taken in charge",
    "msg.t.closed": "Closed with its outcome",
    "msg.t.waiting_for_citizen": "Request to the citizen",
    "msg.t.waiting_reminder": "Reminder of the request", "msg.t.under_review": "Under review",
    "msg.t.assigned": "New case for the office", "msg.t.sla_warning": "Deadline near",
    "msg.t.sla_breached": "Deadline missed", "msg.t.delivery_failed": "Delivery failed",
    "msg.t.routing_failed": "Case to route by hand",
    "msg.a.citizen": "Citizen", "msg.a.organization": "Office", "msg.a.urp": "URP",
    "msg.s.requested": "Sending", "msg.s.sent": "Sent", "msg.s.failed": "Not delivered",
    "msg.s.withdrawn": "No longer needed",
    "channel.sms": "SMS", "channel.webhook": "Webhook", "channel.letter": "Letter",
    "route.assigned": "assigned", "route.declined": "declined by the office",
    "route.routing_failed": "no competent office", "route.reassigned": "reassigned",
    "route.classified": "classified",
    "done.classify": "Classified: routing sends it to its office.",
    "category.unclassified": "To classify", "event.classified": "Classified",
}  # fmt: skip

CASE_MESSAGES = {"it": IT, "en": EN}
