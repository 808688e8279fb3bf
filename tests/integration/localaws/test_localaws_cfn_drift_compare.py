"""How one resource's drift is worked out: property differences, list matching, deleted and unreadable resources."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from moto.cloudformation.parsing import ResourceMap

from flightdeck.localaws import cfn_drift_properties
from flightdeck.localaws.cfn_drift_compare import check_resource
from flightdeck.localaws.cfn_drift_properties import DriftType

ACCOUNT, REGION = "111111111111", "eu-west-1"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/app/1"


def _stack(properties: dict[str, Any], parameters: dict[str, Any] | None = None, declared: Any = None) -> Any:
    """A stack of one ``Test::Thing`` (logical id ``Thing``, physical id ``thing-1``)."""
    template = {"Parameters": declared or {}, "Resources": {"Thing": {"Type": "Test::Thing", "Properties": properties}}}
    resource_map = ResourceMap(STACK_ID, "app", parameters or {}, {}, REGION, ACCOUNT, template, {})
    resource_map.load()
    resource_map._parsed_resources["Thing"] = SimpleNamespace(physical_resource_id="thing-1")
    return SimpleNamespace(
        resource_map=resource_map, stack_id=STACK_ID, account_id=ACCOUNT, region_name=REGION, template_dict=template
    )


def _check(monkeypatch: pytest.MonkeyPatch, stack: Any, live: Any, **kind: Any) -> Any:
    def read(account: str, region: str, physical_id: str) -> Any:
        assert (account, region, physical_id) == (ACCOUNT, REGION, "thing-1")
        if isinstance(live, Exception):
            raise live
        return live

    properties = kind.pop("properties", frozenset({"Name", "Size", "Config", "Items", "Tags", "Arns", "Enabled"}))
    monkeypatch.setitem(cfn_drift_properties.TYPES, "Test::Thing", DriftType(read, properties, **kind))
    return check_resource(stack, "Thing", stack.resource_map._parsed_resources["Thing"], NOW)


def _differences(drift: Any) -> list[tuple[str, str, str, str]]:
    return [(d["PropertyPath"], d["ExpectedValue"], d["ActualValue"], d["DifferenceType"]) for d in drift.differences]


def test_nested_values_are_compared_leaf_by_leaf(monkeypatch: pytest.MonkeyPatch) -> None:
    stack = _stack({"Size": 10, "Enabled": True, "Config": {"A": "1", "B": "2"}, "Items": ["x", "y"]})
    live = {"Size": "10", "Enabled": "true", "Config": {"A": "1", "C": "3"}, "Items": ["x", "z", "w"], "Name": "n"}

    drift = _check(monkeypatch, stack, live)

    assert drift.status == "MODIFIED"
    assert _differences(drift) == [
        ("/Config/B", "2", "null", "REMOVE"),
        ("/Config/C", "null", "3", "ADD"),
        ("/Items/1", "y", "z", "NOT_EQUAL"),
        ("/Items/2", "null", "w", "ADD"),
    ]  # 10 and "10", true and "true" are equal; Name is not in the template: not compared
    assert drift.actual == {"Size": "10", "Enabled": "true", "Config": {"A": "1", "C": "3"}, "Items": ["x", "z", "w"]}
    assert json.loads(drift.to_dict()["ExpectedProperties"]) == drift.expected


def test_unordered_lists_are_matched_by_key(monkeypatch: pytest.MonkeyPatch) -> None:
    tags = [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    stack = _stack({"Tags": tags, "Arns": ["arn:1", "arn:2"]})
    live = {
        "Tags": [{"Key": "c", "Value": "3"}, {"Key": "b", "Value": "2"}, {"Key": "a", "Value": "9"}],
        "Arns": ["arn:2"],
    }

    drift = _check(monkeypatch, stack, live, unordered={"Tags": "Key", "Arns": None})

    assert _differences(drift) == [
        ("/Tags/0/Value", "1", "9", "NOT_EQUAL"),
        ("/Tags/2", "null", '{"Key":"c","Value":"3"}', "ADD"),
        ("/Arns/0", "arn:1", "null", "REMOVE"),
    ]


def test_properties_not_read_are_shown_as_expected_and_write_only_ones_left_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stack = _stack({"Name": "n", "Other": {"X": 1}, "Secret": "s"})

    drift = _check(monkeypatch, stack, {"Name": "n"}, write_only=frozenset({"Secret"}))

    assert (drift.status, drift.expected, drift.actual) == ("IN_SYNC", {"Name": "n", "Other": {"X": 1}}, drift.expected)


def test_intrinsic_functions_are_resolved_and_no_echo_values_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    declared = {"Env": {"Type": "String"}, "Key": {"Type": "String", "NoEcho": True}}
    stack = _stack(
        {"Name": {"Fn::Sub": "app-${Env}-${AWS::Region}"}, "Config": {"K": {"Ref": "Key"}}},
        {"Env": "dev", "Key": "hush-hush"},
        declared,
    )

    drift = _check(monkeypatch, stack, {"Name": "app-dev-eu-west-1", "Config": {"K": "other"}})

    assert drift.expected == {"Name": "app-dev-eu-west-1", "Config": {"K": "****"}}
    assert _differences(drift) == [("/Config/K", "****", "other", "NOT_EQUAL")]


def test_a_resource_gone_is_deleted_and_one_that_cannot_be_read_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    stack = _stack({"Name": "n"})

    deleted = _check(monkeypatch, stack, None)
    unknown = _check(monkeypatch, stack, RuntimeError("throttled"))

    assert (deleted.status, deleted.expected, deleted.actual) == ("DELETED", None, None)
    assert "ExpectedProperties" not in deleted.to_dict()
    assert (unknown.status, unknown.reason) == ("UNKNOWN", "Failed to detect drift: RuntimeError: throttled")
    assert unknown.to_dict()["DriftStatusReason"] == unknown.reason


def test_an_unsupported_type_is_not_checked() -> None:
    stack = _stack({"Name": "n"})
    stack.resource_map._resource_json_map["Thing"]["Type"] = "AWS::SQS::Queue"

    assert check_resource(stack, "Thing", stack.resource_map._parsed_resources["Thing"], NOW) is None
