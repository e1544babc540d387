"""`GET /cases/{id}/dossier`: what the organization handling a case needs to act on it.

The HTTP twin of `personal.<tenant>.<organization>` (for partners that prefer HTTP): the events
carry no personal data, so a partner asks for the citizen's contact, the description, the place
and the attachments here, with its `partner` token, scoped like every case route (its own
organization's cases only: another's answers 403). Auditors read no dossier.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from sportello_contracts.personal import PersonalAnswer
from sportello_shared.auth import Role
from sportello_shared.problems import Refusal

from .api import IntakeDep
from .personal import dossier

router = APIRouter(tags=["cases"])


@router.get("/cases/{case_id}/dossier")
async def get_dossier(case_id: UUID, intake: IntakeDep) -> PersonalAnswer:
    """The citizen, the description, the location and the attachments of a case one handles."""
    if intake.principal.roles == {Role.AUDITOR}:
        raise Refusal(
            403,
            it="i revisori leggono i fatti di una pratica, non il suo fascicolo",
            en="auditors read the facts of a case, not its dossier",
        )
    return dossier(await intake.case(case_id))
