"""The wording of the triage's corrections and of the on-call alert on the case page, and the
names of issue 18's messages in the case's list of messages sent (notify's templates)."""

from __future__ import annotations

IT = {
    "action.recategorise": "Cambia tipo o categoria",
    "recategorise.hint": "Se la pratica è stata classificata male (per esempio un reclamo "
    "registrato come segnalazione): lo smistamento la assegna di nuovo e le scadenze sono "
    "ricalcolate dalla data di ricezione.",
    "done.recategorise": "Tipo o categoria cambiati: lo smistamento la assegna di nuovo e le "
    "scadenze sono ricalcolate.",
    "action.reject": "Respingi all'ingresso",
    "done.reject": "Respinta all'ingresso.",
    "reject.hint": "Solo per una pratica appena registrata, non ancora smistata: per esempio "
    "un'emergenza da passare al 112 o una richiesta che il Comune non tratta. Il motivo resta "
    "sul fascicolo.",
    "action.on-call-acknowledge": "Presa in carico dal reperibile",
    "done.on-call-acknowledge": "Presa in carico dal reperibile registrata: nessun altro "
    "della reperibilità verrà chiamato.",
    "oncall.title": "Allerta al reperibile",
    "oncall.raised": "Allerta partita il",
    "oncall.paged": "chiamato il",
    "oncall.acknowledged": "Presa in carico dal reperibile",
    "oncall.exhausted": "Nessuno ha risposto: elenco dei reperibili esaurito il",
    "oncall.waiting": "In attesa che un reperibile risponda",
    "oncall.hint": "Premi se stai intervenendo tu: la catena di chiamate si ferma.",
    "oncall.unknown": "Stato dell'allerta non disponibile: il servizio notifiche non risponde. "
    "Riprova tra poco.",
    "oncall.unreachable": "Il servizio notifiche non risponde: presa in carico non registrata, "
    "riprova tra poco.",
    "msg.t.on_call_alert": "Allerta al reperibile",
    "msg.t.citizen_updated": "Aggiornamento al cittadino",
    "msg.t.merged": "Unita a un'altra pratica",
    "msg.t.duplicate_merged": "Duplicato unito",
    "msg.a.on_call": "Reperibile",
}

EN = {
    "action.recategorise": "Change kind or category",
    "recategorise.hint": "When the case was classified wrongly (e.g. a complaint registered as "
    "a report): routing assigns it again and the deadlines are recomputed from when it was "
    "received.",
    "done.recategorise": "Kind or category changed: routing assigns it again and the deadlines "
    "are recomputed.",
    "action.reject": "Reject at the door",
    "done.reject": "Rejected at the door.",
    "reject.hint": "Only for a case just registered, not yet routed: e.g. an emergency for the "
    "112 or a request the municipality does not handle. The reason stays on the file.",
    "action.on-call-acknowledge": "Taken in charge by the on-call person",
    "done.on-call-acknowledge": "Acknowledged: nobody else on the rota will be called.",
    "oncall.title": "On-call alert",
    "oncall.raised": "Alert raised on",
    "oncall.paged": "called on",
    "oncall.acknowledged": "Taken in charge by the on-call person",
    "oncall.exhausted": "Nobody answered: the rota ran out on",
    "oncall.waiting": "Waiting for someone on call to answer",
    "oncall.hint": "Press if you are the one acting: the calls stop.",
    "oncall.unknown": "The alert's state is unknown: the notification service does not answer. "
    "Try again shortly.",
    "oncall.unreachable": "The notification service does not answer: not acknowledged, try "
    "again shortly.",
    "msg.t.on_call_alert": "On-call alert",
    "msg.t.citizen_updated": "Update to the citizen",
    "msg.t.merged": "Merged into another case",
    "msg.t.duplicate_merged": "Duplicate merged",
    "msg.a.on_call": "On call",
}

TRIAGE_MESSAGES = {"it": IT, "en": EN}
