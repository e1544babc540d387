"""What intake says to people about a case's steps: each status and step in Italian and English.

Pure. The step names are those of the API's routes (`POST /cases/{id}/<step>`).
"""

from __future__ import annotations

from collections.abc import Sequence

# action (as the domain names it) -> (route step, Italian, English)
STEPS: dict[str, tuple[str, str, str]] = {
    "reject": ("reject", "respingerla", "reject it"),
    "take in charge": ("take-in-charge", "prenderla in carico", "take it in charge"),
    "record a contact on": ("contact", "registrare un contatto", "record a contact"),
    "wait for the citizen on": (
        "wait-for-citizen",
        "metterla in attesa del cittadino",
        "wait for the citizen",
    ),
    "resume": ("resume", "riprenderla", "resume it"),
    "resolve": ("resolve", "risolverla", "resolve it"),
    "close": ("close", "chiuderla", "close it"),
    "reopen": ("reopen", "riaprirla", "reopen it"),
    "ask to reassign": (
        "request-reassignment",
        "chiederne la riassegnazione",
        "ask to reassign it",
    ),
    "classify": ("classify", "classificarla", "classify it"),
    "recategorise": ("recategorise", "cambiarne tipo o categoria", "recategorise it"),
    "dismiss": ("dismiss", "archiviarla (fuori competenza o duplicato)", "dismiss it"),
    "merge into another case": (
        "merge",
        "unirla alla pratica di cui è un duplicato",
        "merge it into the case it duplicates",
    ),
    "record a transfer of": ("transfer", "registrarne il trasferimento", "record a transfer"),
    "record a consultation on": (
        "consult",
        "registrare una consulenza con l'ufficio",
        "record a consultation",
    ),
    "promise a callback on": ("schedule-callback", "fissare una richiamata", "promise a callback"),
    "record the callback of": (
        "callback-done",
        "registrare la richiamata fatta",
        "record the callback made",
    ),
    "answer on the spot": ("answer", "rispondere subito", "answer it on the spot"),
    "add a staff note to": ("note", "annotarla (nota interna)", "add a staff note"),
    "send an update to the citizen on": (
        "update-citizen",
        "inviare un aggiornamento al cittadino",
        "send the citizen an update",
    ),
    # --- Casale's procedures (issue 18 point 6) ---
    "protocol": ("protocol", "protocollarla", "protocol it"),
    "schedule the inspection of": (
        "schedule-inspection",
        "fissarne il sopralluogo",
        "schedule its inspection",
    ),
    "report the inspection of": (
        "report-inspection",
        "registrarne il verbale di sopralluogo",
        "report its inspection",
    ),
    "issue the attestation of": (
        "issue-attestation",
        "rilasciarne l'attestazione",
        "issue its attestation",
    ),
    # --- end of Casale's procedures ---
    # the triage-first workflow
    "forward": ("forward", "inoltrarla all'ufficio competente", "forward it to the office"),
    "record the office's answer on": (
        "office-answer",
        "registrare la risposta dell'ufficio",
        "record the office's answer",
    ),
    "erase the personal data of": (
        "admin/erasures",
        "cancellarne i dati personali",
        "erase its personal data",
    ),
}

STATUSES: dict[str, tuple[str, str]] = {
    "received": ("ricevuta, in attesa di assegnazione", "received, waiting to be assigned"),
    "assigned": ("assegnata", "assigned"),
    "routing_failed": ("senza ufficio competente (in verifica all'URP)", "with no office yet"),
    "taken_in_charge": ("presa in carico", "taken in charge"),
    "citizen_contacted": ("in carico, con il cittadino contattato", "in hand, citizen contacted"),
    "waiting_for_citizen": ("in attesa del cittadino", "waiting for the citizen"),
    "resolved": ("risolta", "resolved"),
    "closed": ("chiusa", "closed"),
    "reopened": ("riaperta", "reopened"),
    "reassignment_requested": ("in attesa di riassegnazione", "waiting to be reassigned"),
    "rejected": ("respinta", "rejected"),
    "forwarded": ("inoltrata all'ufficio competente", "forwarded to the competent office"),
    "office_answered": (
        "con la risposta dell'ufficio, da comunicare al cittadino",
        "answered by the office, to be told to the citizen",
    ),
}


def step_of(action: str) -> str:
    return STEPS[action][0] if action in STEPS else action


def transition_refused(language: str, action: str, status: str, possible: Sequence[str]) -> str:
    """'the case is assigned: you cannot close it; possible now: take it in charge (...)'."""
    english = language == "en"
    it_status, en_status = STATUSES.get(status, (status, status))
    _, it_action, en_action = STEPS.get(action, (action, action, action))
    steps = [
        f"{STEPS[a][2] if english else STEPS[a][1]} ({STEPS[a][0]})" for a in possible if a in STEPS
    ]
    if english:
        now = f"possible now: {', '.join(steps)}" if steps else "no step is possible now"
        return f"the case is {en_status}: you cannot {en_action}; {now}"
    now = f"ora è possibile: {', '.join(steps)}" if steps else "ora non è possibile alcun passo"
    return f"la pratica è {it_status}: non si può {it_action}; {now}"


def unknown_category(language: str, category: str, tenant: str, known: Sequence[str]) -> str:
    listed = ", ".join(known)
    if language == "en":
        return f"{tenant} has no category {category!r}; its categories: {listed}"
    return f"{tenant} non ha la categoria {category!r}; le sue categorie: {listed}"
