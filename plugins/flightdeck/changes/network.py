"""Network broadening: security-group ingress that lets in more sources, ports or protocols than before."""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flightdeck.changes.models import Flag, FlagKind
from flightdeck.changes.templates import canonical, is_function

ANYWHERE = frozenset({"0.0.0.0/0", "::/0"})
ALL_PORTS = (0, 65535)
_PROTOCOLS = {"-1": "all", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}
_OPAQUE = "opaque"


@dataclass(frozen=True)
class IngressRule:
    """One ingress rule, normalised.

    :param protocol: ``tcp``, ``udp``, ``icmp``, ``icmpv6``, ``all``, another protocol number, or ``opaque`` for a
        rule that cannot be read (built with intrinsic functions), compared as a whole.
    :param ports: first and last port (``0-65535`` for all ports, and for ``all`` protocols).
    :param source: a CIDR, ``security group <id>``, ``prefix list <id>``, or the canonical JSON of an opaque rule.
    """

    protocol: str
    ports: tuple[int, int]
    source: str

    def describe(self) -> str:
        if self.protocol == _OPAQUE:
            return f"a rule that cannot be read ({self.source})"
        if self.protocol == "all":
            what = "all traffic"
        elif self.ports == ALL_PORTS:
            what = f"{self.protocol} on all ports"
        else:
            first, last = self.ports
            what = f"{self.protocol} {first}" if first == last else f"{self.protocol} {first}-{last}"
        anywhere = " (anywhere: open to the internet)" if self.source in ANYWHERE else ""
        return f"{what} from {self.source}{anywhere}"


def network_flags(old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]]) -> list[Flag]:
    """A flag for each resource whose ingress rules let in what no rule of the same group did before.

    Inline ``SecurityGroupIngress`` and ``AWS::EC2::SecurityGroupIngress`` resources are pooled per security group,
    so moving a rule from one to the other broadens nothing.
    """
    before, after = ingress_rules(old), ingress_rules(new)
    reasons: dict[tuple[str, str], list[str]] = defaultdict(list)
    for group, rules in after.items():
        previous = [rule for _, _, rule in before.get(group, ())]
        current = {rule for _, _, rule in rules}
        replaced = [rule for rule in previous if rule not in current]
        for logical_id, resource_type, rule in rules:
            if not any(_covers(old_rule, rule) for old_rule in previous):
                reasons[(logical_id, resource_type)].append(_widening(rule, replaced))
    flags = []
    for (logical_id, resource_type), texts in sorted(reasons.items()):
        message = f"`{logical_id}` ({resource_type}): {'; '.join(texts)}."
        flags.append(Flag(FlagKind.NETWORK_BROADENED, logical_id, resource_type, message))
    return flags


def ingress_rules(resources: Mapping[str, Mapping[str, Any]]) -> dict[str, list[tuple[str, str, IngressRule]]]:
    """Security group → its ingress rules, each with the logical id and type of the resource declaring it."""
    groups: dict[str, list[tuple[str, str, IngressRule]]] = defaultdict(list)
    for logical_id, resource in sorted(resources.items()):
        resource_type = resource.get("Type")
        properties = resource.get("Properties") or {}
        if resource_type == "AWS::EC2::SecurityGroup":
            entries = properties.get("SecurityGroupIngress") or []
            for entry in entries if isinstance(entries, list) else [entries]:
                groups[logical_id].append((logical_id, resource_type, _rule(entry)))
        elif resource_type == "AWS::EC2::SecurityGroupIngress":
            groups[_group(properties)].append((logical_id, resource_type, _rule(properties)))
    return groups


def _widening(rule: IngressRule, replaced: list[IngressRule]) -> str:
    """How ``rule`` broadens: it widens a rule it replaces (same protocol and source, or same ports), or is new."""
    for old in replaced:
        overlapping = old.ports[0] <= rule.ports[1] and rule.ports[0] <= old.ports[1]
        if old.protocol == rule.protocol != _OPAQUE and old.source == rule.source and overlapping:
            return f"ingress widened from {old.protocol} {_ports(old)} to {rule.describe()}"
        if (old.protocol, old.ports) == (rule.protocol, rule.ports) and _source_covers(rule.source, old.source):
            return f"ingress source widened from {old.source} to {rule.describe()}"
    return f"ingress added: {rule.describe()}"


def _ports(rule: IngressRule) -> str:
    first, last = rule.ports
    return "all ports" if rule.ports == ALL_PORTS else str(first) if first == last else f"{first}-{last}"


def _covers(old: IngressRule, new: IngressRule) -> bool:
    if _OPAQUE in (old.protocol, new.protocol):
        return old == new
    return (
        old.protocol in ("all", new.protocol)
        and old.ports[0] <= new.ports[0]
        and new.ports[1] <= old.ports[1]
        and _source_covers(old.source, new.source)
    )


def _source_covers(broader: str, narrower: str) -> bool:
    if broader == narrower:
        return True
    wide, narrow = _network(broader), _network(narrower)
    if wide is None or narrow is None or wide.version != narrow.version:
        return False
    return narrow.subnet_of(wide)  # type: ignore[arg-type]


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _rule(entry: Any) -> IngressRule:
    if not isinstance(entry, dict) or is_function(entry):
        return IngressRule(_OPAQUE, ALL_PORTS, canonical(entry))
    protocol = str(_text(entry.get("IpProtocol", "-1"))).lower()
    protocol = _PROTOCOLS.get(protocol, protocol)
    first, last = _port(entry.get("FromPort")), _port(entry.get("ToPort"))
    if protocol == "all" or first is None:
        return IngressRule(protocol, ALL_PORTS, _source(entry))
    return IngressRule(protocol, (first, ALL_PORTS[1] if last is None else last), _source(entry))


def _source(entry: Mapping[str, Any]) -> str:
    for key in ("CidrIp", "CidrIpv6"):
        if key in entry:
            text = _text(entry[key])
            network = _network(text)
            return str(network) if network is not None else text
    for key, label in (
        ("SourceSecurityGroupId", "security group"),
        ("SourceSecurityGroupName", "security group"),
        ("SourcePrefixListId", "prefix list"),
    ):
        if key in entry:
            return f"{label} {_text(entry[key])}"
    return "(no source)"


def _group(properties: Mapping[str, Any]) -> str:
    """The security group a standalone rule belongs to: the logical id when it refers to one in the template."""
    if "GroupId" in properties:
        return _text(properties["GroupId"]).removesuffix(".GroupId")
    return f"name {_text(properties.get('GroupName'))}"


def _text(value: Any) -> str:
    """A value as text: ``Ref X`` → ``X``, ``GetAtt X.GroupId`` → ``X.GroupId``, other functions as JSON."""
    if isinstance(value, str | int):
        return str(value)
    if isinstance(value, dict) and "Ref" in value and len(value) == 1:
        return str(value["Ref"])
    if isinstance(value, dict) and "Fn::GetAtt" in value and len(value) == 1:
        target = value["Fn::GetAtt"]
        return ".".join(str(part) for part in target) if isinstance(target, list) else str(target)
    return canonical(value)


def _port(value: Any) -> int | None:
    try:
        port = int(value)
    except (TypeError, ValueError):
        return None
    return None if port < 0 else port
