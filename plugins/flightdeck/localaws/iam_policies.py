"""IAM identity-policy evaluation: Allow/Deny, (Not)Action, (Not)Resource with wildcards, and condition operators."""

from __future__ import annotations

import enum
import functools
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

# Request context: condition keys (lower case, as IAM compares them) -> the request's values.
Context = Mapping[str, Sequence[str]]


class Decision(enum.Enum):
    """The outcome of evaluating a request against a principal's identity policies."""

    ALLOWED = "allowed"
    IMPLICIT_DENY = "implicit deny"  # no statement allows it
    EXPLICIT_DENY = "explicit deny"  # a Deny statement applies


@dataclass(frozen=True)
class Statement:
    """One statement of a policy, with its patterns ready to match.

    :param allow: ``Effect: Allow`` (else Deny).
    :param actions: the ``Action`` (or ``NotAction``) patterns.
    :param not_action: the patterns are ``NotAction``.
    :param resources: the ``Resource`` (or ``NotResource``) patterns; empty when the statement has neither.
    :param not_resource: the patterns are ``NotResource``.
    :param conditions: ``(operator, key, values)`` of the ``Condition`` block, all of which must hold.
    """

    allow: bool
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...]
    not_resource: bool
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...]

    def applies(self, action: str, resource: str, context: Context) -> bool:
        """Whether the statement covers ``action`` on ``resource`` in ``context``.

        A condition the emulator cannot evaluate fails closed: an Allow does not apply, a Deny does.
        """
        if any(matches_action(pattern, action) for pattern in self.actions) == self.not_action:
            return False
        if not self.resources or any(matches_arn(p, resource) for p in self.resources) == self.not_resource:
            return False
        unknown = False
        for operator, key, values in self.conditions:
            holds = condition_holds(operator, key, values, context)
            if holds is False:
                return False
            unknown = unknown or holds is None
        return not (unknown and self.allow)


def evaluate(policies: Iterable[Sequence[Statement]], action: str, resource: str, context: Context) -> Decision:
    """IAM's identity-policy logic: an applicable Deny wins, else an applicable Allow, else an implicit deny."""
    allowed = False
    for statements in policies:
        for statement in statements:
            if statement.applies(action, resource, context):
                if not statement.allow:
                    return Decision.EXPLICIT_DENY
                allowed = True
    return Decision.ALLOWED if allowed else Decision.IMPLICIT_DENY


def parse_policy(document: str | Mapping[str, Any]) -> tuple[Statement, ...]:
    """The statements of a policy document: JSON text (as IAM stores it), or parsed (as moto keeps the policies of
    roles made by CloudFormation, read back as text to share the cache)."""
    if not isinstance(document, str):
        document = json.dumps(document, default=str)
    return _parse_text(document)


@functools.lru_cache(maxsize=512)
def _parse_text(document: str) -> tuple[Statement, ...]:
    # Keyed by the document's text: a policy that changes is a new key, so the cache is never stale.
    return _parse(json.loads(document))


def _parse(document: Mapping[str, Any]) -> tuple[Statement, ...]:
    statements = document.get("Statement", [])
    if isinstance(statements, Mapping):
        statements = [statements]
    # Skips what is no statement (moto may leave a removed ``Fn::If`` branch in a role made by a stack).
    return tuple(_statement(statement) for statement in statements if isinstance(statement, Mapping))


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, bool, int, float)):
        value = [value]
    return tuple(str(item).lower() if isinstance(item, bool) else str(item) for item in value)


def _statement(statement: Mapping[str, Any]) -> Statement:
    conditions = tuple(
        (operator, key.lower(), _strings(values))
        for operator, keys in (statement.get("Condition") or {}).items()
        for key, values in keys.items()
    )
    return Statement(
        allow=statement.get("Effect") == "Allow",
        actions=_strings(statement.get("NotAction", statement.get("Action"))),
        not_action="NotAction" in statement,
        resources=_strings(statement.get("NotResource", statement.get("Resource"))),
        not_resource="NotResource" in statement,
        conditions=conditions,
    )


@functools.lru_cache(maxsize=4096)
def _wildcard(pattern: str, ignore_case: bool, arn: bool) -> re.Pattern[str]:
    """``*`` (any run of characters) and ``?`` (one character); everything else literal.

    In an ARN a wildcard stays within its colon-separated part, except a ``*`` that ends a part.
    """
    regex = []
    for index, char in enumerate(pattern):
        if char == "*":
            ends_part = index + 1 == len(pattern) or pattern[index + 1] == ":"
            regex.append("[^:]*" if arn and not ends_part else ".*")
        elif char == "?":
            regex.append("[^:]" if arn else ".")
        else:
            regex.append(re.escape(char))
    return re.compile("".join(regex), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def matches(pattern: str, value: str) -> bool:
    """Whether ``value`` matches ``pattern`` with IAM's ``*`` and ``?`` wildcards (``StringLike``)."""
    return _wildcard(pattern, False, False).fullmatch(value) is not None


def matches_action(pattern: str, action: str) -> bool:
    """``Action`` matching: ``service:Operation`` with wildcards, case-insensitive."""
    return _wildcard(pattern, True, False).fullmatch(action) is not None


def matches_arn(pattern: str, arn: str) -> bool:
    """``Resource`` and ``Arn*`` condition matching: case-sensitive, wildcards within the ARN's parts.

    As IAM documents it, a wildcard matches within one of the colon-separated parts of
    ``arn:partition:service:region:account:resource``, except that a ``*`` ending a part may run past colons.
    """
    return _wildcard(pattern, False, True).fullmatch(arn) is not None


def _string_equals(expected: str, actual: str) -> bool:
    return expected == actual


def _string_equals_ignore_case(expected: str, actual: str) -> bool:
    return expected.lower() == actual.lower()


def _bool(expected: str, actual: str) -> bool:
    return expected.lower() == actual.lower()


def _numeric(compare: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def match(expected: str, actual: str) -> bool:
        try:
            return compare(float(actual), float(expected))
        except ValueError:
            return False

    return match


# Operator -> (does one policy value match one request value, is the operator negated).
_OPERATORS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "StringEquals": (_string_equals, False),
    "StringNotEquals": (_string_equals, True),
    "StringEqualsIgnoreCase": (_string_equals_ignore_case, False),
    "StringNotEqualsIgnoreCase": (_string_equals_ignore_case, True),
    "StringLike": (matches, False),
    "StringNotLike": (matches, True),
    "ArnEquals": (matches_arn, False),
    "ArnLike": (matches_arn, False),
    "ArnNotEquals": (matches_arn, True),
    "ArnNotLike": (matches_arn, True),
    "Bool": (_bool, False),
    "NumericEquals": (_numeric(lambda a, e: a == e), False),
    "NumericNotEquals": (_numeric(lambda a, e: a == e), True),
    "NumericLessThan": (_numeric(lambda a, e: a < e), False),
    "NumericLessThanEquals": (_numeric(lambda a, e: a <= e), False),
    "NumericGreaterThan": (_numeric(lambda a, e: a > e), False),
    "NumericGreaterThanEquals": (_numeric(lambda a, e: a >= e), False),
}


def condition_holds(operator: str, key: str, expected: Sequence[str], context: Context) -> bool | None:
    """Whether one condition (``{operator: {key: expected}}``) holds; None for an operator not supported.

    As in IAM: a key missing from the request fails every operator except the negated ones (``...Not...``),
    which hold; ``...IfExists`` holds when the key is missing; ``Null`` tests presence; the policy's values
    are alternatives; ``ForAnyValue:`` / ``ForAllValues:`` compare every value of a multivalued key.
    """
    actual = context.get(key.lower())
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists")
    name = name.removesuffix("IfExists")
    if name == "Null" and not qualifier and not if_exists:
        return (not actual) == (expected[0].lower() == "true") if expected else None
    if name not in _OPERATORS or qualifier not in ("", "ForAnyValue", "ForAllValues"):
        log.warning("IAM condition operator %s is not supported by the local emulator: failing closed", operator)
        return None
    match, negated = _OPERATORS[name]

    def value_matches(value: str) -> bool:
        return any(match(e, value) for e in expected) != negated

    if not actual:
        return if_exists or qualifier == "ForAllValues" or (negated and qualifier != "ForAnyValue")
    if qualifier == "ForAllValues":
        return all(value_matches(value) for value in actual)
    if qualifier == "ForAnyValue":
        return any(value_matches(value) for value in actual)
    # A single-valued key (a multivalued one without a qualifier: IAM compares it as a set, like ForAnyValue).
    if negated:
        return all(value_matches(value) for value in actual)
    return any(value_matches(value) for value in actual)
