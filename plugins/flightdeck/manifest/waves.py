"""Waves: the order and pace in which an environment's targets deploy, and which targets each wave holds."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema

from flightdeck.manifest.fields import (
    Duration,
    StrictModel,
    describe_type,
    did_you_mean,
    invalid,
    matching,
    parse_duration,
    unique,
)
from flightdeck.manifest.issues import Problem
from flightdeck.manifest.yamlsource import DataPath, format_path

EVERY_OTHER = "*"  # in the last wave: every target not in an earlier wave
DEFAULT_WAVE = "all"
_PERCENT = "(100|[1-9]?[0-9])%"

StaticTarget = tuple[str, str]  # (account id, region)


def _failure_tolerance(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | str):
        shown = repr(value) if isinstance(value, float | bool) else describe_type(value)
        raise invalid(
            f'failure_tolerance is a whole number of failed targets (0, 1, ...) or a percentage like "10%", not {shown}'
        )
    if isinstance(value, int) and value < 0:
        raise invalid("failure_tolerance cannot be negative: 0 means the first failure stops the environment")
    if isinstance(value, str) and not re.fullmatch(_PERCENT, value):
        raise invalid(
            f'failure_tolerance {value!r} is not valid: write a whole number like 2, or a percentage like "10%"'
        )
    return value


FailureTolerance = Annotated[
    int | str,
    BeforeValidator(_failure_tolerance),
    WithJsonSchema({"oneOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": f"^{_PERCENT}$"}]}),
]
WaveTarget = Annotated[
    str,
    matching(
        r"\*|[0-9]{12}(/[a-z0-9-]+)?",
        "wave target",
        'write an account id ("111111111111"), an account and region ("111111111111/eu-west-1") or "*"',
    ),
]


class Wave(StrictModel):
    """A group of an environment's targets deployed together; waves deploy one after the other.

    :param name: lowercase name, unique in the environment.
    :param targets: ``"<account id>"`` (all its regions), ``"<account id>/<region>"``, or ``"*"`` (every target
        not in an earlier wave; only in the last wave, which also takes the accounts selected at run time).
    :param max_concurrent: how many targets of the wave deploy at once (default: all).
    :param failure_tolerance: failed targets the wave tolerates before the environment stops: a number
        (default 0: the first failure stops it) or a percentage of the wave like ``"10%"``.
    :param bake_time: how long to wait after the wave before the next one starts (default: no wait).
    """

    name: Annotated[
        str, matching(r"[a-z][a-z0-9-]{0,39}", "name", "a lowercase letter, then up to 39 lowercase letters, digits, -")
    ]
    targets: Annotated[tuple[WaveTarget, ...], Field(min_length=1)]
    max_concurrent: Annotated[int, Field(ge=1)] | None = None
    failure_tolerance: FailureTolerance = 0
    bake_time: Duration | None = None

    @property
    def failure_tolerance_count(self) -> int | None:
        """The tolerance as a number of targets, or None when it is a percentage."""
        return self.failure_tolerance if isinstance(self.failure_tolerance, int) else None

    @property
    def failure_tolerance_percent(self) -> int | None:
        """The tolerance as a percentage of the wave's targets, or None when it is a number."""
        return int(self.failure_tolerance[:-1]) if isinstance(self.failure_tolerance, str) else None

    @property
    def bake_time_seconds(self) -> int:
        """The bake time in seconds (0 for none)."""
        return parse_duration(self.bake_time) if self.bake_time else 0


Waves = Annotated[tuple[Wave, ...], Field(min_length=1), unique("wave name", key=lambda wave: wave.name)]


@dataclass(frozen=True)
class WaveAssignment:
    """One wave and the static targets it deploys.

    :param wave: the wave as written (or the default wave).
    :param targets: ``(account id, region)`` pairs, in manifest order.
    """

    wave: Wave
    targets: tuple[StaticTarget, ...]


def assign_waves(
    waves: tuple[Wave, ...] | None, targets: Sequence[StaticTarget], *, selectors: bool, at: DataPath
) -> tuple[list[WaveAssignment], list[Problem]]:
    """Put each static target of an environment in its wave; without ``waves``, one wave ``all`` holds them all.

    :param waves: the environment's waves, or None.
    :param targets: the environment's static targets in manifest order.
    :param selectors: whether accounts selected at run time join the last wave (so it may be empty now).
    :param at: data path of the environment, for the problems.
    """
    waves = waves or (Wave(name=DEFAULT_WAVE, targets=(EVERY_OTHER,)),)
    order = {target: index for index, target in enumerate(dict.fromkeys(targets))}
    owner, problems = _claim(waves, order, at)
    chosen: list[list[StaticTarget]] = [[] for _ in waves]
    for target, (w, _) in owner.items():
        chosen[w].append(target)
    rest = [target for target in order if target not in owner]
    if EVERY_OTHER in waves[-1].targets:
        chosen[-1] += rest
    elif not any(EVERY_OTHER in wave.targets for wave in waves):  # a misplaced "*" has its own problem
        problems += [
            Problem(
                (*at, "waves"),
                f'target {"/".join(target)} is in no wave: add "{"/".join(target)}" (or "{target[0]}") to a '
                'wave, or end with a wave of "*"',
                at_key=True,
            )
            for target in rest
        ]
    troubled = {problem.path[len(at) + 1] for problem in problems if len(problem.path) > len(at) + 1}
    for w, wave in enumerate(waves):
        if not chosen[w] and w not in troubled and not (selectors and w == len(waves) - 1):
            message = f"wave {wave.name!r} has no target left: every target is in an earlier wave; remove this wave"
            problems.append(Problem((*at, "waves", w, "targets"), message))
    assignments = [
        WaveAssignment(wave, tuple(sorted(targets, key=order.__getitem__)))
        for wave, targets in zip(waves, chosen, strict=True)
    ]
    return assignments, problems


def _claim(
    waves: tuple[Wave, ...], order: dict[StaticTarget, int], at: DataPath
) -> tuple[dict[StaticTarget, tuple[int, int]], list[Problem]]:
    """The (wave, item) that claims each target first, and the problems of items that claim none or a taken one."""
    owner: dict[StaticTarget, tuple[int, int]] = {}
    problems: list[Problem] = []
    for w, wave in enumerate(waves):
        for k, item in enumerate(wave.targets):
            path = (*at, "waves", w, "targets", k)
            found = _item_problem(item, order, last=w == len(waves) - 1)
            if found is not None:
                problems.append(Problem(path, found))
                continue
            for target in _selected(item, order):
                if target not in owner:
                    owner[target] = (w, k)
                    continue
                other_wave, other_item = owner[target]
                where = "this wave" if other_wave == w else f"wave {waves[other_wave].name!r}"
                other_path = format_path((*at, "waves", other_wave, "targets", other_item))
                message = f"{'/'.join(target)} is already in {where} ({other_path}); a target deploys in one wave"
                problems.append(Problem(path, message))
    return owner, problems


def _item_problem(item: str, order: dict[StaticTarget, int], *, last: bool) -> str | None:
    if item == EVERY_OTHER:
        return None if last else '"*" (every target not in an earlier wave) is allowed only in the last wave'
    if _selected(item, order):
        return None
    account, _, region = item.partition("/")
    regions = [target[1] for target in order if target[0] == account]
    if region and regions:
        return (
            f"account {account} is not deployed to {region} in this environment (only to {', '.join(regions)})"
            f"{did_you_mean(region, regions)}"
        )
    choices = sorted({target[0] for target in order} | {"/".join(target) for target in order})
    return f"{item!r} is not a target of this environment{did_you_mean(item, choices)}"


def _selected(item: str, order: dict[StaticTarget, int]) -> list[StaticTarget]:
    account, _, region = item.partition("/")
    return [target for target in order if target[0] == account and (not region or target[1] == region)]
