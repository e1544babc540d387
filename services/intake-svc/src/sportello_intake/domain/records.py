"""What a case's file records of each step, and what it reads as once the citizen's key is
gone (crypto-shredding)."""

from __future__ import annotations

from typing import Any

from sportello_shared.personal_data import ERASED_TEXT

from .events import LifecycleEvent

# What the citizen's personal data reads as once their key is erased (crypto-shredding).
ERASED_CITIZEN: dict[str, Any] = {"name": ERASED_TEXT}
PERSONAL_FIELDS_ERASED: dict[str, Any] = {
    "citizen": ERASED_CITIZEN,
    "description": ERASED_TEXT,
    "location": None,
    "attachments": [],
    "message_id": "",
}
# free texts in the timeline: the office's words and the citizen's later ones
TEXTS = ("note", "request", "outcome", "reason", "text", "answer", "question", "message")
# what a lifecycle step writes in the timeline, besides its name, when, and who
LOGGED = (
    *("means", "note", "request", "outcome", "reason", "duplicate_of", "duplicate", "message"),
    *("to", "question", "answer"),
)


def timeline_name(step: LifecycleEvent) -> str:
    """`CitizenContacted` → `citizen_contacted`: the public event's name."""
    name = type(step).__name__
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
