"""What one target's change set changes, as frozen JSON-safe dataclasses (an XCom value)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

Source = Literal["change-set", "template", "both"]

REPLACING = ("True", "Conditional")
SECRET_MASK = "(secret)"
SECRET_CHANGED = "(secret changed)"
_MASKS = (None, SECRET_MASK, SECRET_CHANGED)


class FlagKind(StrEnum):
    """Why a change needs a person: every kind does, whatever the environment's ``auto_approve``."""

    STATEFUL_REMOVED = "stateful-removed"
    STATEFUL_REPLACED = "stateful-replaced"
    IAM_BROADENED = "iam-broadened"
    NETWORK_BROADENED = "network-broadened"


_HEADLINE_WORDS = {
    FlagKind.STATEFUL_REMOVED: "stateful resource removed",
    FlagKind.STATEFUL_REPLACED: "stateful resource replaced",
    FlagKind.IAM_BROADENED: "IAM broadened",
    FlagKind.NETWORK_BROADENED: "network broadened",
}


@dataclass(frozen=True)
class ResourceChange:
    """One resource a change set adds, modifies, removes, imports (or cannot tell: ``Dynamic``).

    :param action: ``Add``, ``Modify``, ``Remove``, ``Import`` or ``Dynamic``.
    :param logical_id: the resource's logical id in the template.
    :param resource_type: its type (the new one when the type changes).
    :param replacement: ``True``, ``False`` or ``Conditional`` for a Modify, ``""`` when not known or not relevant.
    :param source: who reported it: ``change-set``, ``template`` (comparison of the templates) or ``both``.
    :param properties: names of the properties (and attributes such as ``DeletionPolicy``) that change, sorted.
    :param previous_type: the old type when the type changes, else ``""``.
    """

    action: str
    logical_id: str
    resource_type: str
    replacement: str = ""
    source: Source = "template"
    properties: tuple[str, ...] = ()
    previous_type: str = ""

    @property
    def replaces(self) -> bool:
        """Whether the resource is (or may be) replaced: a new physical resource, the old one deleted."""
        return self.replacement in REPLACING

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "logical_id": self.logical_id,
            "resource_type": self.resource_type,
            "replacement": self.replacement,
            "source": self.source,
            "properties": list(self.properties),
            "previous_type": self.previous_type,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ResourceChange:
        return cls(**{**data, "properties": tuple(data.get("properties", ()))})


@dataclass(frozen=True)
class ParameterChange:
    """A stack parameter that is added, changed or removed; a secret's values are masked, never kept.

    :param name: parameter name.
    :param before: the deployed value, ``None`` when the parameter is new.
    :param after: the new value, ``None`` when the parameter is removed.
    :param secret: a secret (listed by the caller, or ``NoEcho``): ``before`` and ``after`` are masks only.
    :param version: for a secret, a marker of the new value's version (``secretsmanager:<id>@<VersionId>``).
    """

    name: str
    before: str | None
    after: str | None
    secret: bool = False
    version: str = ""

    def __post_init__(self) -> None:
        if self.secret and (self.before not in _MASKS or self.after not in _MASKS):
            raise ValueError(f"secret parameter {self.name!r} must carry masks, never values")

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "before": self.before,
            "after": self.after,
            "secret": self.secret,
            "version": self.version,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ParameterChange:
        return cls(**data)


@dataclass(frozen=True)
class TagChange:
    """A stack tag that is added, changed or removed (``None`` stands for absent)."""

    key: str
    before: str | None
    after: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "before": self.before, "after": self.after}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TagChange:
        return cls(**data)


@dataclass(frozen=True)
class Flag:
    """A change that needs a person.

    :param kind: what is at stake.
    :param logical_id: the resource concerned.
    :param resource_type: its type.
    :param message: one sentence for the approver, naming the resource and its type.
    """

    kind: FlagKind
    logical_id: str
    resource_type: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "logical_id": self.logical_id,
            "resource_type": self.resource_type,
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Flag:
        return cls(**{**data, "kind": FlagKind(data["kind"])})


@dataclass(frozen=True)
class ChangeSummary:
    """Everything a change set changes in one target, and what of it needs a person.

    Benign rule (:attr:`is_benign`): no flag, and every resource change is a ``Modify`` known not to replace
    (``replacement == "False"``); parameter, tag and output changes are benign. So an addition, a removal, an
    import, a ``Dynamic`` change or a possible replacement is never benign, nor is a Modify whose replacement is
    unknown. An empty summary is benign.

    :param resources: resource changes, sorted by logical id.
    :param parameters: parameter changes, sorted by name.
    :param tags: stack tag changes, sorted by key.
    :param outputs: names of the outputs added, changed or removed, sorted.
    :param flags: changes that need a person, sorted by kind then logical id.
    """

    resources: tuple[ResourceChange, ...] = ()
    parameters: tuple[ParameterChange, ...] = ()
    tags: tuple[TagChange, ...] = ()
    outputs: tuple[str, ...] = ()
    flags: tuple[Flag, ...] = ()

    @property
    def is_empty(self) -> bool:
        """Nothing changes: no resource, parameter, tag or output."""
        return not (self.resources or self.parameters or self.tags or self.outputs)

    @property
    def is_benign(self) -> bool:
        """No flag and only in-place modifications (see the class docstring)."""
        return not self.flags and all(r.action == "Modify" and r.replacement == "False" for r in self.resources)

    @property
    def needs_person(self) -> bool:
        """A stateful resource is removed or replaced, or IAM or network access broadens: always a person."""
        return bool(self.flags)

    def headline(self) -> str:
        """One line: ``+1 ~2 -0, 1 replacement, 1 parameter, IAM broadened``; ``no changes`` when empty."""
        if self.is_empty:
            return "no changes"
        actions = Counter(r.action for r in self.resources)
        parts = [f"+{actions['Add']} ~{actions['Modify']} -{actions['Remove']}"]
        parts += [_count(actions[action], action.lower()) for action in ("Import", "Dynamic") if actions[action]]
        replaced = Counter(r.replacement for r in self.resources if r.action == "Modify" and r.replaces)
        if replaced["True"]:
            parts.append(_count(replaced["True"], "replacement"))
        if replaced["Conditional"]:
            parts.append(_count(replaced["Conditional"], "possible replacement"))
        for items, noun in ((self.parameters, "parameter"), (self.tags, "tag"), (self.outputs, "output")):
            if items:
                parts.append(_count(len(items), noun))
        kinds = {flag.kind for flag in self.flags}
        parts += [_HEADLINE_WORDS[kind] for kind in FlagKind if kind in kinds]
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form; :meth:`from_dict` reads it back to an equal summary."""
        return {
            "resources": [r.to_dict() for r in self.resources],
            "parameters": [p.to_dict() for p in self.parameters],
            "tags": [t.to_dict() for t in self.tags],
            "outputs": list(self.outputs),
            "flags": [f.to_dict() for f in self.flags],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChangeSummary:
        return cls(
            resources=tuple(ResourceChange.from_dict(r) for r in data.get("resources", ())),
            parameters=tuple(ParameterChange.from_dict(p) for p in data.get("parameters", ())),
            tags=tuple(TagChange.from_dict(t) for t in data.get("tags", ())),
            outputs=tuple(data.get("outputs", ())),
            flags=tuple(Flag.from_dict(f) for f in data.get("flags", ())),
        )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
