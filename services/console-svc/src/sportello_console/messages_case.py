"""What the case page calls the messages sent and routing's steps, instead of internal ids; and
the keyboard shortcuts' list, on every page."""

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
    # the triage-first workflow (issue 18): forwarded to the office, its answer back
    "action.forward": "Inoltra all'ufficio competente",
    "done.forward": "Inoltrata: l'ufficio competente la riceve con la risposta da dare.",
    "field.forward_to": "Ufficio competente",
    "forward.by_rules": "Quello indicato dalle regole di smistamento",
    "action.office-answer": "Risposta dell'ufficio al front office",
    "done.office-answer": "Risposta registrata: la pratica torna al front office.",
    "field.office_answer": "Risposta (solo per il personale, non inviata al cittadino)",
    "status.forwarded": "Inoltrata all'ufficio", "status.office_answered": "Risposta dall'ufficio",
    "event.forwarded": "Inoltrata all'ufficio", "event.office_answered": "Risposta dell'ufficio",
    "case.gone": "La pratica non è più di competenza del suo ufficio: è tornata al front office "
    "o è passata a un altro ufficio.",
    "case.to_queues": "Torna alle code di lavoro", "case.gone_title": "Pratica non più visibile",
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
    # the triage-first workflow (issue 18): forwarded to the office, its answer back
    "action.forward": "Forward to the competent office",
    "done.forward": "Forwarded: the competent office gets it, to answer.",
    "field.forward_to": "Competent office",
    "forward.by_rules": "The one the routing rules choose",
    "action.office-answer": "The office's answer to the front office",
    "done.office-answer": "Answer recorded: the case is back with the front office.",
    "field.office_answer": "Answer (staff only, never sent to the citizen)",
    "status.forwarded": "Forwarded to the office",
    "status.office_answered": "Answered by the office",
    "event.forwarded": "Forwarded to the office", "event.office_answered": "Office's answer",
    "case.gone": "The case is no longer your office's: it is back with the front office or with "
    "another office.",
    "case.to_queues": "Back to the work queues", "case.gone_title": "Case no longer visible",
}  # fmt: skip

IT |= {
    "shortcuts.open": "Scorciatoie da tastiera", "shortcuts.title": "Scorciatoie da tastiera",
    "shortcuts.hint": "Funzionano quando non si sta scrivendo in un campo.",
    "shortcuts.key": "Tasto", "shortcuts.does": "Che cosa fa",
    "shortcuts.rows": "Pratica successiva o precedente dell'elenco (Invio la apre)",
    "shortcuts.tabs": "Le code, nell'ordine delle schede",
    "shortcuts.actions": "Le azioni della pratica aperta",
    "shortcuts.this_list": "Questo elenco", "shortcuts.close": "Chiudi",
    "shortcuts.enabled": "Scorciatoie attive (in questo browser)",
}  # fmt: skip
EN |= {
    "shortcuts.open": "Keyboard shortcuts", "shortcuts.title": "Keyboard shortcuts",
    "shortcuts.hint": "They work when you are not typing in a field.",
    "shortcuts.key": "Key", "shortcuts.does": "What it does",
    "shortcuts.rows": "Next or previous case in the list (Enter opens it)",
    "shortcuts.tabs": "The queues, in the order of their tabs",
    "shortcuts.actions": "The open case's actions",
    "shortcuts.this_list": "This list", "shortcuts.close": "Close",
    "shortcuts.enabled": "Shortcuts on (in this browser)",
}  # fmt: skip

CASE_MESSAGES = {"it": IT, "en": EN}
