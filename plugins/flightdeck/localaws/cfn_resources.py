"""One resource of a stack at a time: update it, put it back, delete it (shared by deployments and rollbacks)."""

from __future__ import annotations

from typing import Any

from moto.cloudformation import parsing
from moto.cloudformation.models import Stack
from moto.cloudformation.parsing import ResourceMap

from flightdeck.localaws.cfn_failures import ResourceFailure, resource_event


def physical_id(resource: Any) -> str:
    """A resource's ``PhysicalResourceId`` as stack events show it."""
    return str(getattr(resource, "physical_resource_id", ""))


def update_resource(resource_map: ResourceMap, name: str, resource_json: dict[str, Any]) -> Any:
    """Update a resource to ``resource_json`` (``None``: its type cannot be updated, it stays as it was)."""
    resource = parsing.parse_and_update_resource(
        name,
        resource_json,
        resource_map,
        account_id=resource_map._account_id,
        region_name=resource_map._region_name,
    )
    if resource is not None:
        resource_map._parsed_resources[name] = resource
    return resource


def restore_resource(resource_map: ResourceMap, name: str, resource_json: dict[str, Any]) -> Any:
    """Put a resource back to its previous properties.

    moto updates some types by deleting and re-creating them, so a failed update may have deleted the
    resource: when updating it back fails, it is created again from its previous properties.
    """
    try:
        return update_resource(resource_map, name, resource_json)
    except ResourceFailure:
        resource_map._parsed_resources.pop(name, None)
        return resource_map[name]


def delete_resource(stack: Stack, name: str, resource: Any, resource_json: dict[str, Any]) -> None:
    """Delete a resource of the stack and record its ``DELETE_COMPLETE`` event."""
    stack.resource_map._delete_resource(resource, resource_json)
    stack.resource_map._parsed_resources.pop(name, None)
    resource_event(stack, name, resource_json.get("Type", ""), "DELETE_COMPLETE", physical_id=physical_id(resource))
