"""Drift-aware change sets: ``CreateChangeSet`` with ``DeploymentMode=REVERT_DRIFT`` (moto 5.2.5 ignores it).

As on AWS, the live state of the stack's resources is read when the change set is created: each drifted resource
(``MODIFIED`` or ``DELETED``, for the types drift detection checks: ``cfn_drift_properties``) is listed as a
``Modify`` change with its ``ResourceDriftStatus`` and one ``Details`` entry per drifted property (``BeforeValue``
from the actual state, ``AfterValue`` from the template; secrets masked as drift detection masks them). A change
set whose template, parameters and tags change nothing is not empty while something drifted. Executing it puts
every drifted resource back to its template properties (a deleted one is created again) in the same deployment
transaction as the template's own changes, then records those resources ``IN_SYNC``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import Change, ChangeSet, CloudFormationBackend, Stack
from moto.core.responses import ActionResult
from moto.core.utils import utcnow

from flightdeck.localaws.cfn_change_sets import NO_CHANGES, find_change_set
from flightdeck.localaws.cfn_drift import DRIFTED, _resources, _results
from flightdeck.localaws.cfn_drift_compare import ResourceDrift, check_resource
from flightdeck.localaws.post_import import when_imported

if TYPE_CHECKING:  # imported by moto only after the models this module patches
    from moto.cloudformation.responses import CloudFormationResponse

REVERT_DRIFT = "REVERT_DRIFT"


def live_drift(stack: Stack) -> dict[str, ResourceDrift]:
    """The stack's drifted resources now, by logical id (read from the live resources, not a past detection)."""
    now = utcnow()
    drifts = (check_resource(stack, name, resource, now) for name, resource in _resources(stack))
    return {drift.logical_id: drift for drift in drifts if drift is not None and drift.status in DRIFTED}


def _detail(difference: dict[str, str]) -> dict[str, Any]:
    """A ``ResourceChangeDetail`` putting one drifted property back to its template value."""
    path = difference["PropertyPath"]
    return {
        "Target": {
            "Attribute": "Properties",
            "Name": path.strip("/").split("/")[0],
            "RequiresRecreation": "Never",
            "Path": path,
            "BeforeValue": difference["ActualValue"],
            "AfterValue": difference["ExpectedValue"],
            "BeforeValueFrom": "ACTUAL_STATE",
            "AfterValueFrom": "TEMPLATE",
            "AttributeChangeType": "Modify",
        },
        "Evaluation": "Static",
        "ChangeSource": "DirectModification",
    }


def make_drift_aware(change_set: ChangeSet, stack: Stack) -> None:
    """List the stack's drifted resources in ``change_set`` and have its execution revert them."""
    drifts = live_drift(stack)
    change_set.deployment_mode = REVERT_DRIFT  # type: ignore[attr-defined]
    change_set.stack_drift_status = "DRIFTED" if drifts else "IN_SYNC"  # type: ignore[attr-defined]
    change_set.drift_reverts = {name: drift.status for name, drift in drifts.items()}  # type: ignore[attr-defined]
    changes = {change.logical_resource_id: change for change in change_set.changes}
    for name, drift in drifts.items():
        change = changes.get(name)
        if change is None:
            change = Change("Modify", name, drift.resource_type)
            change_set.changes.append(change)
        change.resource_drift_status = drift.status  # type: ignore[attr-defined]
        change.physical_resource_id = drift.physical_id  # type: ignore[attr-defined]
        change.details = [_detail(difference) for difference in drift.differences]  # type: ignore[attr-defined]
    if drifts and change_set.status == "FAILED" and change_set.status_reason == NO_CHANGES:
        change_set.status, change_set.execution_status, change_set.status_reason = "CREATE_COMPLETE", "AVAILABLE", None


def reset_drift(stack: Stack, names: list[str]) -> None:
    """Record the reverted resources as checked now (``IN_SYNC`` unless they drifted again), and the stack's status."""
    now = utcnow()
    results = _results(stack)
    for name, resource in _resources(stack, [name for name in names if name in stack.resource_map._parsed_resources]):
        drift = check_resource(stack, name, resource, now)
        if drift is not None:
            results[name] = drift
    if "drift_status" in stack.__dict__:
        statuses = {drift.status for drift in results.values()}
        drifted = statuses & set(DRIFTED)
        stack.drift_status = "DRIFTED" if drifted else "UNKNOWN" if "UNKNOWN" in statuses else "IN_SYNC"  # type: ignore[attr-defined]


def _reverting(execute: Callable[..., None]) -> Callable[..., None]:
    """``ExecuteChangeSet`` that, for a drift-aware change set that ran, resets its resources' drift status."""

    @functools.wraps(execute)  # keeps the ``_flightdeck`` marker the other fixes look for
    def execute_change_set(self: CloudFormationBackend, change_set_name: str, stack_name: str | None = None) -> None:
        change_set = find_change_set(self, change_set_name, stack_name)
        execute(self, change_set_name, stack_name)
        reverts = getattr(change_set, "drift_reverts", None)
        stack = self.stacks.get(change_set.stack_id)
        if reverts and stack is not None and change_set.execution_status == "EXECUTE_COMPLETE":
            reset_drift(stack, list(reverts))

    return execute_change_set


def _patch_responses(module: ModuleType) -> None:
    response_class = module.CloudFormationResponse
    create_change_set = response_class.create_change_set

    def _create_change_set(self: CloudFormationResponse) -> ActionResult:
        """``CreateChangeSet``, drift-aware with ``DeploymentMode=REVERT_DRIFT`` (UPDATE change sets only)."""
        mode = self._get_param("DeploymentMode")
        if not mode:
            return create_change_set(self)
        if mode != REVERT_DRIFT:
            raise ValidationError(message=f"Invalid DeploymentMode {mode}: the only one is {REVERT_DRIFT}")
        if self._get_param("ChangeSetType", "CREATE") != "UPDATE":
            raise ValidationError(message=f"DeploymentMode {REVERT_DRIFT} is only supported for UPDATE change sets")
        result = create_change_set(self)
        backend = self.cloudformation_backend
        change_set = backend.change_sets[result.result["Id"]]  # type: ignore[index]
        make_drift_aware(change_set, backend.stacks[change_set.stack_id])
        return result

    response_class.create_change_set = _create_change_set


def apply() -> None:
    """Implement ``DeploymentMode=REVERT_DRIFT`` for ``CreateChangeSet`` and ``ExecuteChangeSet``."""
    if getattr(ChangeSet, "deployment_mode", False) is None:
        return
    # Class defaults (absent from DescribeChangeSet unless set on a drift-aware change set or its changes).
    ChangeSet.deployment_mode = None  # type: ignore[attr-defined]
    ChangeSet.stack_drift_status = None  # type: ignore[attr-defined]
    Change.resource_drift_status = None  # type: ignore[attr-defined]
    Change.physical_resource_id = None  # type: ignore[attr-defined]
    Change.details = None  # type: ignore[attr-defined]
    CloudFormationBackend.execute_change_set = _reverting(CloudFormationBackend.execute_change_set)  # type: ignore[method-assign]
    when_imported("moto.cloudformation.responses", _patch_responses)
