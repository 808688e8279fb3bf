"""Stack Outputs evaluated when a deployment completes (moto left them empty or stale after change sets)."""

from __future__ import annotations

from moto.cloudformation.models import Stack, cloudformation_backends

from flightdeck.localaws.cfn_exports import publish_exports


def refresh_outputs(stack: Stack) -> None:
    """Rebuild the stack's outputs from its deployed resources and evaluate them now, as AWS does."""
    output_map = stack._create_output_map()
    for key in output_map:
        output_map[key]  # evaluated and cached: later reads never touch resources again
    stack.output_map = output_map


def apply() -> None:
    """Custom resources finish a create later (their response completes it): refresh outputs then too."""
    if getattr(Stack.mark_creation_complete, "_flightdeck", False):
        return
    original = Stack.mark_creation_complete

    def mark_creation_complete(self: Stack) -> None:
        refresh_outputs(self)
        publish_exports(cloudformation_backends[self.account_id][self.region_name], self)
        original(self)

    mark_creation_complete._flightdeck = True  # type: ignore[attr-defined]
    Stack.mark_creation_complete = mark_creation_complete  # type: ignore[method-assign]
