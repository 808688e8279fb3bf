"""Exports and ``Fn::ImportValue`` for every stack, however it was deployed (moto only wired ``create_stack``)."""

from __future__ import annotations

from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import CloudFormationBackend, Stack


def wire_imports(backend: CloudFormationBackend, stack: Stack) -> None:
    """Let the stack's ``Fn::ImportValue`` see the exports of its account and region (a live view)."""
    stack.cross_stack_resources = backend.exports
    stack.resource_map.cross_stack_resources = backend.exports


def publish_exports(backend: CloudFormationBackend, stack: Stack) -> None:
    """Replace the stack's exports in its account and region by those of its current outputs.

    Raises ``ValidationError`` (and publishes nothing) when a name is exported twice or by another stack.
    """
    exports = stack.exports
    names: set[str] = set()
    for export in exports:
        owner = backend.exports.get(export.name)
        if export.name in names or (owner is not None and owner.exporting_stack_id != stack.stack_id):
            exporter = backend.stacks.get(owner.exporting_stack_id) if owner else stack
            exporter_name = exporter.name if exporter else (owner.exporting_stack_id if owner else "")
            raise ValidationError(
                message=f"Export with name {export.name} is already exported by stack {exporter_name}"
            )
        names.add(export.name)
    withdraw_exports(backend, stack)
    for export in exports:
        backend.exports[export.name] = export


def withdraw_exports(backend: CloudFormationBackend, stack: Stack) -> None:
    """Remove every export the stack published."""
    for name in [name for name, export in backend.exports.items() if export.exporting_stack_id == stack.stack_id]:
        del backend.exports[name]
