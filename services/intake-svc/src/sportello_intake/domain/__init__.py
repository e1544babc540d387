"""intake's domain: the Case aggregate, its lifecycle as a table, and reference counters.

Pure (no I/O). Every name is importable from here, as from the single module it once was:
the stored events' topics name `sportello_intake.domain:Case.<Event>`.
"""

from .case import Case
from .counter import CASE_NAMESPACE, COUNTER_NAMESPACE, ReferenceCounter, case_id_for
from .errors import (
    AlreadyClassified,
    CaseError,
    InvalidOccurrence,
    NothingToRecategorise,
    ReopenWindowClosed,
    TransitionNotAllowed,
)
from .procedures import ProtocolYear
from .records import ERASED_CITIZEN, PERSONAL_FIELDS_ERASED, TEXTS, timeline_name
from .status import CLASSIFIABLE, IN_HANDS_OF_OFFICE, OPEN, ROUTABLE, UNCLASSIFIED, Status
from .transitions import ALLOWED, TRANSITIONS, Command, Transition, possible_from

__all__ = [
    "ALLOWED",
    "CASE_NAMESPACE",
    "CLASSIFIABLE",
    "COUNTER_NAMESPACE",
    "ERASED_CITIZEN",
    "IN_HANDS_OF_OFFICE",
    "OPEN",
    "PERSONAL_FIELDS_ERASED",
    "ROUTABLE",
    "TEXTS",
    "TRANSITIONS",
    "UNCLASSIFIED",
    "AlreadyClassified",
    "Case",
    "CaseError",
    "Command",
    "InvalidOccurrence",
    "NothingToRecategorise",
    "ProtocolYear",
    "ReferenceCounter",
    "ReopenWindowClosed",
    "Status",
    "Transition",
    "TransitionNotAllowed",
    "case_id_for",
    "possible_from",
    "timeline_name",
]
