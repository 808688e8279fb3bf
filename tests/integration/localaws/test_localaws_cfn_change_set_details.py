"""Change-set details: ``GetTemplate`` of a change set is its own template (gap K); ``DescribeChangeSet`` has Tags."""

from __future__ import annotations

from localaws_helpers import Emulator, create_change_set, deploy, parameter_template

DEPLOYED = parameter_template({"A": ("/a", "1")})
PROPOSED = parameter_template({"A": ("/a", "2"), "B": ("/b", "3")})


def _text(body: object) -> str:
    return body if isinstance(body, str) else str(body)


def test_template_of_a_change_set_is_its_own(emulator: Emulator) -> None:
    cfn = emulator.client("cloudformation")
    assert deploy(cfn, "app", DEPLOYED) is None
    change_set = create_change_set(cfn, "app", PROPOSED, kind="UPDATE", name="release-2")

    of_change_set = _text(cfn.get_template(StackName="app", ChangeSetName=change_set["Id"])["TemplateBody"])
    by_name = _text(cfn.get_template(StackName="app", ChangeSetName="release-2")["TemplateBody"])
    of_stack = _text(cfn.get_template(StackName="app")["TemplateBody"])

    assert "/a" in of_stack
    assert "/b" not in of_stack
    if emulator.stock:  # ChangeSetName is ignored: the stack's template comes back
        assert of_change_set == of_stack
        return
    assert "/b" in of_change_set
    assert by_name == of_change_set


def test_described_change_set_has_its_tags(emulator: Emulator) -> None:
    cfn = emulator.client("cloudformation")
    tags = [{"Key": "flightdeck:version", "Value": "2.0.0"}, {"Key": "team", "Value": "web"}]
    change_set = create_change_set(cfn, "app", DEPLOYED, Tags=tags)
    described = cfn.describe_change_set(ChangeSetName=change_set["Id"])
    if emulator.stock:  # moto keeps the tags as a dict its serialiser cannot list
        assert described.get("Tags") != tags
        return
    assert sorted(described["Tags"], key=lambda tag: tag["Key"]) == tags
