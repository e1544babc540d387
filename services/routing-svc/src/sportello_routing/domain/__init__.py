"""routing-svc's domain: directory, versioned rules, decisions. No I/O, time injected."""

from .areas import AreaFeature, Areas
from .assignment import Assignment
from .decide import Decision, Explanation, back_to_last, decide
from .directory import Directory, OrganizationInUse, UnknownOrganization, directory_digest
from .document import RoutingDocument, category_rules
from .rules import CaseFacts, Rule, RulesDocument, Verdict, mentions, normalise
from .ruleset import RuleSet, VersionConflict, digest
from .validation import InvalidRules, Problem, Report, validate

__all__ = [
    "AreaFeature",
    "Areas",
    "Assignment",
    "CaseFacts",
    "Decision",
    "Directory",
    "Explanation",
    "InvalidRules",
    "OrganizationInUse",
    "Problem",
    "Report",
    "RoutingDocument",
    "Rule",
    "RuleSet",
    "RulesDocument",
    "UnknownOrganization",
    "Verdict",
    "VersionConflict",
    "back_to_last",
    "category_rules",
    "decide",
    "digest",
    "directory_digest",
    "mentions",
    "normalise",
    "validate",
]
