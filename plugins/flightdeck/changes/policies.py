"""Policy documents compared statement by statement: what a new document allows that the old one did not."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flightdeck.changes.templates import canonical, is_function, shown

_ACCOUNT_ID = re.compile(r"\d{12}")
_SHOWN = 4  # items listed in a sentence before "and N more"
_FIELDS = (("Action", "actions", True), ("Resource", "resources", False), ("Principal", "principals", False))


@dataclass(frozen=True)
class Statement:
    """One policy statement, normalised so that ``"s3:GetObject"`` and ``["s3:GetObject"]`` compare equal.

    :param effect: ``Allow`` or ``Deny``; ``""`` for an opaque statement.
    :param actions: actions (compared ignoring case); intrinsic functions as :func:`~templates.shown` text.
    :param resources: resources.
    :param principals: ``kind:value`` (``AWS:arn:...``, ``Service:lambda.amazonaws.com``), ``*`` for anyone.
    :param negated: canonical JSON of ``NotAction``/``NotResource``/``NotPrincipal``, ``""`` when none.
    :param condition: canonical JSON of ``Condition``, ``""`` when none.
    :param opaque: canonical JSON of a statement that cannot be read (built with ``Fn::If``...), else ``""``.
    """

    effect: str
    actions: frozenset[str] = frozenset()
    resources: frozenset[str] = frozenset()
    principals: frozenset[str] = frozenset()
    negated: str = ""
    condition: str = ""
    opaque: str = ""


def parse_document(document: Any) -> list[Statement] | None:
    """The statements of a policy document (a mapping or JSON text); ``None`` when it cannot be read."""
    if document is None:
        return []
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return None
    if not isinstance(document, dict) or is_function(document):
        return None
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        return None
    return [_statement(item) for item in statements]


def widenings(old: Any, new: Any) -> list[str]:
    """Sentences on what document ``new`` allows beyond ``old``: statements, actions, resources or principals
    added, a ``*`` introduced, a condition dropped, a Deny removed. Removing permissions gives none.

    ``None`` stands for no document (a new or removed policy).
    """
    before, after = parse_document(old), parse_document(new)
    if before is None or after is None:
        if canonical(old) == canonical(new):
            return []
        return ["changes in a way that cannot be compared statement by statement (intrinsic functions): read it"]
    reasons: list[str] = []
    old_allows = [s for s in before if s.effect == "Allow"]
    new_denies = [s for s in after if s.effect == "Deny"]
    for statement in after:
        if statement.effect == "Allow" and not any(_covers(o, statement) for o in old_allows):
            reasons.append(_new_allow(statement, old_allows))
    for statement in before:
        if statement.effect == "Deny" and not any(_covers(n, statement) for n in new_denies):
            reasons.append(f"Deny of {describe(statement)} removed or narrowed")
    if {s.opaque for s in after if s.opaque} ^ {s.opaque for s in before if s.opaque}:
        # Allow or Deny cannot be told: any change to such a statement may widen.
        reasons.append("has a statement built with intrinsic functions that is new, changed or removed: read it")
    return list(dict.fromkeys(reasons))


def describe(statement: Statement) -> str:
    """``s3:GetObject on arn:aws:s3:::b/* to lambda.amazonaws.com``, for a sentence."""
    text = _listed(statement.actions) or "no action"
    if statement.resources:
        text += f" on {_listed(statement.resources)}"
    if statement.principals:
        text += f" to {_listed(_shown_principal(p) for p in statement.principals)}"
    if statement.negated:
        text += f" (with {', '.join(sorted(json.loads(statement.negated)))})"
    if statement.condition:
        text += " under a condition"
    return text


def _new_allow(statement: Statement, old_allows: list[Statement]) -> str:
    if not old_allows:
        return f"allows {describe(statement)}"
    parts = []
    for label, field, fold in _FIELDS:
        known = {item for old in old_allows for item in getattr(old, field)}
        added = sorted(item for item in getattr(statement, field) if not any(_glob(k, item, fold) for k in known))
        if "*" in added:
            parts.append(f"'*' introduced in {label}")
            added.remove("*")
        if added:
            show = _shown_principal if field == "principals" else str
            parts.append(f"{label} adds {_listed(show(item) for item in added)}")
    if parts:
        return "; ".join(parts)
    if statement.condition == "" and all(o.condition for o in old_allows):
        return f"allows {describe(statement)} without the condition it had"
    return f"allows {describe(statement)}, which no previous statement allowed"


def _covers(broader: Statement, narrower: Statement) -> bool:
    """Whether ``broader`` allows (or denies) at least everything ``narrower`` does."""
    if broader.opaque or narrower.opaque:
        return broader == narrower
    return (
        broader.effect == narrower.effect
        and broader.negated == narrower.negated
        and broader.condition in ("", narrower.condition)
        and _field_covers(broader.actions, narrower.actions, fold=True)
        and _field_covers(broader.resources, narrower.resources)
        and _field_covers(broader.principals, narrower.principals)
    )


def _field_covers(broader: frozenset[str], narrower: frozenset[str], *, fold: bool = False) -> bool:
    if not narrower:
        return not broader
    return all(any(_glob(pattern, item, fold) for pattern in broader) for item in narrower)


def _glob(pattern: str, value: str, fold: bool) -> bool:
    """IAM wildcard matching: ``*`` any run of characters, ``?`` one; ``fold`` ignores case (actions)."""
    if pattern in (value, "*"):
        return True
    if "*" not in pattern and "?" not in pattern:
        return fold and pattern.lower() == value.lower()
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE if fold else 0) is not None


def _statement(item: Any) -> Statement:
    if not isinstance(item, dict) or is_function(item):
        return Statement(effect="", opaque=canonical(item))
    negated = {key: item[key] for key in ("NotAction", "NotResource", "NotPrincipal") if key in item}
    return Statement(
        effect=str(item.get("Effect", "")),
        actions=frozenset(_values(item.get("Action"))),
        resources=frozenset(_values(item.get("Resource"))),
        principals=_principals(item.get("Principal")),
        negated=canonical(negated) if negated else "",
        condition=canonical(item["Condition"]) if item.get("Condition") else "",
    )


def _values(value: Any) -> list[str]:
    """A string or list of strings (or intrinsic functions, as text) as a list of strings."""
    if value is None:
        return []
    return [shown(item) for item in (value if isinstance(value, list) else [value])]


def _principals(value: Any) -> frozenset[str]:
    if value is None:
        return frozenset()
    if not isinstance(value, dict) or is_function(value):
        return frozenset({"*"} if value == "*" else {f"AWS:{item}" for item in _values(value)})
    principals = set()
    for kind, items in value.items():
        for item in _values(items):
            if item == "*" and kind == "AWS":
                principals.add("*")
            elif kind == "AWS" and _ACCOUNT_ID.fullmatch(item):
                principals.add(f"AWS:arn:aws:iam::{item}:root")
            else:
                principals.add(f"{kind}:{item}")
    return frozenset(principals)


def _shown_principal(principal: str) -> str:
    return principal if principal == "*" else principal.split(":", 1)[1]


def _listed(items: Iterable[str]) -> str:
    values = sorted(items)
    text = ", ".join(values[:_SHOWN])
    return text if len(values) <= _SHOWN else f"{text} and {len(values) - _SHOWN} more"
