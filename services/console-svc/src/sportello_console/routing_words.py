"""Routing's reasons in the staff's language: routing-svc words each decision in English (the
reasons travel on `case.assigned` and in `/routing/explain`); the console shows them in Italian
to Italian staff. Each phrase routing can produce has its Italian pattern here; a reason none
of them matches is shown as it came (a test runs routing's own decisions through this table, so
a new phrase in routing-svc without its Italian fails there).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from jinja2 import pass_context
from jinja2.runtime import Context
from sportello_web import language_of

ValueName = Callable[[str, str], str | None]  # (kind|channel|category, code) -> its name
Wording = str | Callable[[re.Match[str], Callable[[str, str], str]], str]

_WHAT = {"kind": "il tipo", "channel": "il canale", "category": "la categoria"}

_ITALIAN: tuple[tuple[re.Pattern[str], Wording], ...] = tuple(
    (re.compile(f"^{pattern}$", re.DOTALL), wording)
    for pattern, wording in (
        (r"(?P<name>.+) is competent", r"\g<name> è competente"),
        (
            r"the first matching rule whose organization can take the case: it decides",
            "è la prima regola che corrisponde con un ufficio che può ricevere la pratica:"
            " decide questa",
        ),
        (
            r"matched too, but rule (?P<rule>'.+') comes first",
            r"corrisponde anche questa, ma la regola \g<rule> viene prima",
        ),
        (
            r"case reopened: back to (?P<name>.+), who handled it last",
            r"pratica riaperta: torna a \g<name>, l'ultimo ufficio che se ne è occupato",
        ),
        (
            r"case reopened; who handled it last no longer takes cases",
            "pratica riaperta; l'ultimo ufficio che se ne è occupato non riceve più pratiche",
        ),
        (r"(?P<org>.+) declined the case", r"\g<org> ha rifiutato la pratica"),
        (r"(?P<org>.+) is not in the directory", r"\g<org> non è nell'elenco degli uffici"),
        (r"(?P<name>.+) does not accept cases", r"\g<name> non riceve pratiche"),
        (
            r"no competent organization left after (?P<orgs>.+) declined",
            r"nessun ufficio competente rimasto dopo il rifiuto di \g<orgs>",
        ),
        (
            r"no rule routes category (?P<c>'.*') \(kind (?P<k>'.*'), channel (?P<ch>'.*')\)",
            r"nessuna regola smista la categoria \g<c> (tipo \g<k>, canale \g<ch>)",
        ),
        (r"reassigned by (?P<actor>.+)", r"riassegnata da \g<actor>"),
        # the triage's classification (routing's domain/assignment.py, `reclassify`)
        (
            r"classified as (?P<category>\S+) \((?P<kind>[^)]+)\)",
            lambda m, named: (
                f"classificata come {named('category', m['category'])} ({named('kind', m['kind'])})"
            ),
        ),
        # the triage-first workflow (routing's domain/triage_first.py)
        (
            r"workflow triage-first: (?P<front>.+) takes every case in charge first",
            r"front office: \g<front> prende in carico ogni pratica per primo",
        ),
        (
            r"then the rules would choose (?P<name>.+) \(rule (?P<rule>'.+')\)",
            r"poi le regole sceglierebbero \g<name> (regola \g<rule>)",
        ),
        (
            r"forwarded by the front office to the office the rules choose",
            "inoltrata dal front office all'ufficio scelto dalle regole",
        ),
        (
            r"forwarded by the front office to (?P<name>.+), its choice",
            r"inoltrata dal front office a \g<name>, su sua scelta",
        ),
        (
            r"forwarded to (?P<to>'.+'), not an organization taking cases: the rules decide",
            r"inoltrata a \g<to>, che non riceve pratiche: decidono le regole",
        ),
        (
            r"no rule places the forwarded case with a competent office \(category (?P<c>'.*'), "
            r"(?P<front>.+) itself excluded\): back to (?P<back>.+), to forward it to an office "
            r"of its choice \(`to`\) or to answer the citizen itself",
            r"nessuna regola assegna la pratica inoltrata a un ufficio competente (categoria "
            r"\g<c>, escluso \g<front>): torna a \g<back>, che può inoltrarla a un ufficio di "
            r"sua scelta (`to`) o rispondere direttamente al cittadino",
        ),
        (
            r"(?P<office>.+) answered: back to (?P<front>.+) to tell the citizen the outcome",
            r"\g<office> ha risposto: torna a \g<front> per comunicare l'esito al cittadino",
        ),
        (r"the description mentions none of (?P<words>.+)", r"la descrizione non cita \g<words>"),
        (r"the description mentions (?P<words>.+)", r"la descrizione cita \g<words>"),
        (r"the case has no location", "la pratica non indica un luogo"),
        (
            r"the location (?P<where>\(.*\)) is outside (?P<areas>.+)",
            r"il luogo \g<where> è fuori da \g<areas>",
        ),
        (
            r"the location is inside area (?P<area>'.+') \((?P<name>.*)\)",
            r"il luogo è nella zona \g<area> (\g<name>)",
        ),
        (
            r"(?P<what>kind|channel|category) (?P<value>'.*') is not one of (?P<allowed>.+)",
            lambda m, named: (
                f"{_WHAT[m['what']]} {named(m['what'], m['value'])} non è tra {m['allowed']}"
            ),
        ),
        (
            r"(?P<what>kind|channel|category) is (?P<value>'.*')",
            lambda m, named: f"{_WHAT[m['what']]} è {named(m['what'], m['value'])}",
        ),
    )
)


def staff_reason(reason: str, language: str, value_name: ValueName | None = None) -> str:
    """`reason` as routing gave it (English), in `language` ("it" or "en"); a kind, channel or
    category routing quotes by its code is named by `value_name` where it knows it."""

    def named(what: str, quoted: str) -> str:
        code = quoted.strip("'")
        name = value_name(what, code) if value_name else None
        return f"«{name}»" if name and name != code else quoted

    if language == "en":
        return reason
    for pattern, wording in _ITALIAN:
        found = pattern.match(reason)
        if found is not None:
            return wording(found, named) if callable(wording) else found.expand(wording)
    return reason


@pass_context
def routing_reasons(context: Context, reasons: Iterable[str], tenant: str | None = None) -> str:
    """For the templates: the reasons in the page's language, joined, with the tenant's names of
    the categories, kinds and channels they quote."""
    request = context.get("request")
    language = language_of(request) if request is not None else "it"
    names, translate = context.get("names"), context.resolve("_")

    def value_name(what: str, code: str) -> str | None:
        if what == "category":
            return names.category(tenant, code) if names is not None and tenant else None
        key = f"{what}.{code}"
        text = context.call(translate, key) if callable(translate) else key
        return None if text == key else str(text)

    return "; ".join(staff_reason(reason, language, value_name) for reason in reasons)
