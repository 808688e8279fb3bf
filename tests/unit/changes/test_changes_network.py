"""Security-group ingress: more sources, ports or protocols is a broadening; fewer, or the same moved, is not."""

from __future__ import annotations

from typing import Any

import pytest
from changes_samples import ingress, security_group

from flightdeck.changes.models import FlagKind
from flightdeck.changes.network import network_flags


def standalone(group: Any, **rule: Any) -> dict[str, Any]:
    return {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {"GroupId": group, **rule}}


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param([ingress(443)], [ingress(443, "10.1.0.0/16")], id="narrower source"),
        pytest.param([ingress(80, to=443)], [ingress(443)], id="narrower ports"),
        pytest.param([ingress(443)], [ingress(443, "10.0.0.0/8")], id="unchanged"),
        pytest.param([ingress("443")], [ingress(443)], id="port as text"),
        pytest.param([ingress(-1, protocol="-1")], [ingress(22)], id="all traffic covers tcp"),
        pytest.param([ingress(443, protocol="6")], [ingress(443, protocol="tcp")], id="protocol number"),
        pytest.param([ingress(443), ingress(80)], [ingress(443)], id="rule removed"),
        pytest.param(
            [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "SourceSecurityGroupId": {"Ref": "App"}}],
            [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "SourceSecurityGroupId": {"Ref": "App"}}],
            id="same source group",
        ),
    ],
)
def test_not_a_broadening(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> None:
    assert network_flags({"Web": security_group(*old)}, {"Web": security_group(*new)}) == []


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ([ingress(443)], [ingress(443), ingress(443, "0.0.0.0/0")], "ingress added: tcp 443 from 0.0.0.0/0 (anywhere"),
        ([], [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIpv6": "::/0"}], "from ::/0 (anywhere"),
        (
            [ingress(443)],
            [ingress(443, "10.0.0.0/7")],
            "ingress source widened from 10.0.0.0/8 to tcp 443 from 10.0.0.0/7",
        ),
        ([ingress(443)], [ingress(443, to=8443)], "ingress widened from tcp 443 to tcp 443-8443 from 10.0.0.0/8"),
        ([ingress(443)], [ingress(-1, protocol="-1")], "ingress added: all traffic from 10.0.0.0/8"),
        ([ingress(443)], [ingress(443, protocol="udp")], "ingress added: udp 443"),
        (
            [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "SourceSecurityGroupId": {"Ref": "App"}}],
            [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "SourceSecurityGroupId": {"Ref": "Batch"}}],
            "ingress added: tcp 5432 from security group Batch",
        ),
        ([ingress(443)], [{"Fn::If": ["Public", ingress(443, "0.0.0.0/0"), ingress(443)]}], "cannot be read"),
    ],
)
def test_broadening(old: list[dict[str, Any]], new: list[dict[str, Any]], reason: str) -> None:
    (flag,) = network_flags({"Web": security_group(*old)}, {"Web": security_group(*new)})
    assert (flag.kind, flag.logical_id, flag.resource_type) == (
        FlagKind.NETWORK_BROADENED,
        "Web",
        "AWS::EC2::SecurityGroup",
    )
    assert reason in flag.message


def test_standalone_rules_pool_with_their_group() -> None:
    old = {"Web": security_group(ingress(443)), "Db": security_group()}
    new = {
        "Web": security_group(),
        "WebHttps": standalone({"Fn::GetAtt": ["Web", "GroupId"]}, **ingress(443)),
        "DbFromWeb": standalone({"Ref": "Db"}, **ingress(5432)),
    }
    (flag,) = network_flags(old, new)
    assert (flag.logical_id, flag.resource_type) == ("DbFromWeb", "AWS::EC2::SecurityGroupIngress")
    assert "tcp 5432 from 10.0.0.0/8" in flag.message


def test_a_new_group_open_to_the_internet_is_flagged_and_an_empty_one_is_not() -> None:
    flags = network_flags({}, {"Public": security_group(ingress(443, "0.0.0.0/0")), "Closed": security_group()})
    assert [flag.logical_id for flag in flags] == ["Public"]
