"""``apply_fixes()``: install every fidelity fix into moto, each when moto first imports what it patches."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from types import ModuleType

from flightdeck.localaws.post_import import when_imported

# moto module whose import triggers the fix -> fix modules (in this package), applied in order.
FIXES: dict[str, tuple[str, ...]] = {
    "moto.cloudformation.models": (
        "cfn_failures",
        "cfn_outputs",
        "cfn_stacks",
        "cfn_change_sets",
        "cfn_stack_options",
        "cfn_update_rollback",
        "cfn_change_set_details",
        "dynamic_references",
        "cfn_drift",
        "cfn_revert_drift",
    ),
    "moto.awslambda.models": ("lambda_code", "lambda_runtime"),
    "moto.core.authorization": ("iam_enforcement",),
    "moto.iam.models": ("iam_role_updates", "iam_managed_policies"),
    "moto.organizations.models": ("org_accounts",),
    # Last: faults_cloudformation wraps the fixed CloudFormation operations (registered above, so applied first).
    # lambda_urls defines its CloudFormation model here, before moto first lists the models.
    "moto.moto_server.werkzeug_app": ("lambda_urls", "faults", "faults_cloudformation"),
}

_applied: set[str] = set()  # holds "fixes" once apply_fixes() has run
_lock = threading.Lock()
_reset_callbacks: list[Callable[[], None]] = []


def on_reset(callback: Callable[[], None]) -> None:
    """Call ``callback`` whenever moto's backends are reset (``POST /moto-api/reset``): fixes' own state."""
    if callback not in _reset_callbacks:
        _reset_callbacks.append(callback)


def _patch_reset(module: ModuleType) -> None:
    backend_class = module.MotoAPIBackend
    if getattr(backend_class.reset, "_flightdeck", False):
        return
    original = backend_class.reset

    def reset(self: object) -> None:
        original(self)
        for callback in list(_reset_callbacks):
            callback()

    reset._flightdeck = True  # type: ignore[attr-defined]
    backend_class.reset = reset


def _apply_group(fix_names: tuple[str, ...]) -> None:
    for name in fix_names:
        importlib.import_module(f"{__package__}.{name}").apply()


def apply_fixes() -> None:
    """Patch moto in this process (the emulator's server process only). Idempotent."""
    with _lock:
        if _applied:
            return
        _applied.add("fixes")
    when_imported("moto.moto_api._internal.models", _patch_reset)
    for moto_module, fix_names in FIXES.items():

        def _callback(module: ModuleType, fix_names: tuple[str, ...] = fix_names) -> None:
            _apply_group(fix_names)

        when_imported(moto_module, _callback)
