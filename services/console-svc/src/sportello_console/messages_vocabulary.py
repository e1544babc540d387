"""The domain's words as the console shows them, in Italian and English: a case's statuses and
timeline events, channels, kinds, the means of a contact, Pisa's handling modes, and what the
page says once a step is done."""

# ruff: noqa: E501

from __future__ import annotations

IT = {
    "status.received": "Ricevuta", "status.assigned": "Assegnata",
    "status.routing_failed": "Da smistare", "status.taken_in_charge": "Presa in carico",
    "status.citizen_contacted": "Cittadino contattato",
    "status.waiting_for_citizen": "In attesa del cittadino", "status.resolved": "Risolta",
    "status.closed": "Chiusa", "status.reopened": "Riaperta",
    "status.reassignment_requested": "Non di competenza", "status.rejected": "Respinta",
    "channel.phone": "Telefono", "channel.voicemail": "Segreteria telefonica",
    "channel.ivr": "Risponditore automatico (IVR)", "channel.email": "E-mail", "channel.pec": "PEC",
    "channel.fax": "Fax", "channel.post": "Posta", "channel.web": "Web", "channel.app": "App",
    "channel.counter": "Sportello", "channel.open311": "Open311", "channel.platform": "Altra piattaforma",
    "kind.segnalazione": "Segnalazione", "kind.reclamo": "Reclamo",
    "kind.suggerimento": "Suggerimento", "kind.richiesta_informazioni": "Richiesta di informazioni",
    "kind.richiesta_intervento": "Richiesta di intervento",
    "mode.answered": "Risposta diretta", "mode.direct_transfer": "Trasferimento diretto",
    "mode.consultation": "Consulenza", "mode.transfer_after_consultation": "Trasferimento dopo consulenza",
    "mode.callback": "Richiamata",
    "event.received": "Ricevuta", "event.assigned": "Assegnata", "event.routing_failed": "Da smistare",
    "event.taken_in_charge": "Presa in carico", "event.citizen_contacted": "Cittadino contattato",
    "event.waiting_for_citizen": "In attesa del cittadino", "event.resumed": "Ripresa",
    "event.resolved": "Risolta", "event.closed": "Chiusa", "event.reopened": "Riaperta",
    "event.reassignment_requested": "Non di competenza", "event.rejected": "Respinta",
    "event.personal_data_erased": "Dati personali cancellati", "event.handed_over": "Passata al partner",
    "done.take-in-charge": "Presa in carico.", "done.contact": "Contatto registrato.",
    "done.wait-for-citizen": "In attesa del cittadino.", "done.resume": "Ripresa.",
    "done.resolve": "Risolta.", "done.close": "Chiusa.",
    "done.request-reassignment": "Segnalata come non di competenza.",
    "done.reassign": "Riassegnata.", "done.reopen": "Riaperta.",
    "means.phone": "Telefono", "means.email": "E-mail", "means.letter": "Lettera",
    "means.pec": "PEC", "means.in_person": "Di persona", "means.sms": "SMS",
}  # fmt: skip

EN = {
    "status.received": "Received", "status.assigned": "Assigned",
    "status.routing_failed": "To route", "status.taken_in_charge": "Taken in charge",
    "status.citizen_contacted": "Citizen contacted",
    "status.waiting_for_citizen": "Waiting for the citizen", "status.resolved": "Resolved",
    "status.closed": "Closed", "status.reopened": "Reopened",
    "status.reassignment_requested": "Not competent", "status.rejected": "Rejected",
    "channel.phone": "Phone", "channel.voicemail": "Voicemail",
    "channel.ivr": "Automated answering (IVR)", "channel.email": "E-mail", "channel.pec": "PEC (certified e-mail)",
    "channel.fax": "Fax", "channel.post": "Post", "channel.web": "Web", "channel.app": "App",
    "channel.counter": "Counter", "channel.open311": "Open311", "channel.platform": "Another platform",
    "kind.segnalazione": "Report", "kind.reclamo": "Complaint",
    "kind.suggerimento": "Suggestion", "kind.richiesta_informazioni": "Request for information",
    "kind.richiesta_intervento": "Request for action",
    "mode.answered": "Answered directly", "mode.direct_transfer": "Transferred directly",
    "mode.consultation": "Consultation", "mode.transfer_after_consultation": "Transferred after consultation",
    "mode.callback": "Callback",
    "event.received": "Received", "event.assigned": "Assigned", "event.routing_failed": "To route",
    "event.taken_in_charge": "Taken in charge", "event.citizen_contacted": "Citizen contacted",
    "event.waiting_for_citizen": "Waiting for the citizen", "event.resumed": "Resumed",
    "event.resolved": "Resolved", "event.closed": "Closed", "event.reopened": "Reopened",
    "event.reassignment_requested": "Not competent", "event.rejected": "Rejected",
    "event.personal_data_erased": "Personal data erased", "event.handed_over": "Handed over to the partner",
    "done.take-in-charge": "Taken in charge.", "done.contact": "Contact recorded.",
    "done.wait-for-citizen": "Waiting for the citizen.", "done.resume": "Resumed.",
    "done.resolve": "Resolved.", "done.close": "Closed.",
    "done.request-reassignment": "Declared not competent.",
    "done.reassign": "Reassigned.", "done.reopen": "Reopened.",
    "means.phone": "Phone", "means.email": "E-mail", "means.letter": "Letter",
    "means.pec": "PEC (certified e-mail)", "means.in_person": "In person", "means.sms": "SMS",
}  # fmt: skip

VOCABULARY_MESSAGES = {"it": IT, "en": EN}
