"""The console's messages in one catalogue: the web layer's, then each of the console's own."""

from __future__ import annotations

from sportello_web import Catalogue

from .messages import MESSAGES
from .messages_case import CASE_MESSAGES
from .messages_procedures import PROCEDURE_MESSAGES
from .messages_reports import REPORT_MESSAGES
from .messages_triage import TRIAGE_MESSAGES
from .messages_vocabulary import VOCABULARY_MESSAGES

SOURCES = (
    MESSAGES,
    VOCABULARY_MESSAGES,
    REPORT_MESSAGES,
    CASE_MESSAGES,
    TRIAGE_MESSAGES,
    PROCEDURE_MESSAGES,
)


def console_catalogue() -> Catalogue:
    return Catalogue(*SOURCES)
