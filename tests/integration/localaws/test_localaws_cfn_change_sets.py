"""Gap B and change-set rules: change sets belong to their stack; only an available one can be executed."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from localaws_helpers import Emulator, attempt, create_change_set, describe, parameter_template

APP = parameter_template({"App": ("/app/name", "app")})
WEB = parameter_template({"Web": ("/web/name", "web")})


def test_same_change_set_name_on_two_stacks_is_not_mixed_up(emulator: Emulator) -> None:
    cfn = emulator.client("cloudformation")
    app_id = create_change_set(cfn, "app", APP, name="release-7")["Id"]
    web_id = create_change_set(cfn, "web", WEB, name="release-7")["Id"]

    described = cfn.describe_change_set(StackName="app", ChangeSetName="release-7")
    listed = cfn.list_change_sets(StackName="app")["Summaries"]
    cfn.execute_change_set(StackName="app", ChangeSetName="release-7")

    statuses = {name: describe(cfn, name)["StackStatus"] for name in ("app", "web")}
    if emulator.stock:
        assert described["StackName"] == "web"
        assert len(listed) == 2
        assert statuses == {"app": "REVIEW_IN_PROGRESS", "web": "CREATE_COMPLETE"}
        return
    assert (described["StackName"], described["ChangeSetId"]) == ("app", app_id)
    assert [(s["StackName"], s["ChangeSetId"]) for s in listed] == [("app", app_id)]
    assert statuses == {"app": "CREATE_COMPLETE", "web": "REVIEW_IN_PROGRESS"}
    ssm = emulator.client("ssm")
    assert ssm.get_parameter(Name="/app/name")["Parameter"]["Value"] == "app"
    assert attempt(ssm.get_parameter, Name="/web/name") is not None
    # By ARN, and deleting by stack and name, also keep to the right stack.
    assert cfn.describe_change_set(ChangeSetName=web_id)["StackName"] == "web"
    cfn.delete_change_set(StackName="web", ChangeSetName="release-7")
    assert cfn.list_change_sets(StackName="web")["Summaries"] == []
    assert cfn.describe_change_set(ChangeSetName=app_id)["ExecutionStatus"] == "EXECUTE_COMPLETE"


def test_execute_by_arn_runs_that_change_set(emulator: Emulator) -> None:
    cfn = emulator.client("cloudformation")
    create_change_set(cfn, "app", APP, name="release-7")
    web_id = create_change_set(cfn, "web", WEB, name="release-7")["Id"]

    cfn.execute_change_set(ChangeSetName=web_id)

    assert describe(cfn, "web")["StackStatus"] == "CREATE_COMPLETE"
    assert describe(cfn, "app")["StackStatus"] == "REVIEW_IN_PROGRESS"


def test_an_executed_change_set_cannot_run_again(emulator: Emulator) -> None:
    cfn = emulator.client("cloudformation")
    create_change_set(cfn, "app", APP)
    cfn.execute_change_set(StackName="app", ChangeSetName="release-1")

    error = attempt(cfn.execute_change_set, StackName="app", ChangeSetName="release-1")

    if emulator.stock:
        assert error is None
    else:
        _assert_invalid_status(error, "EXECUTE_COMPLETE")


def test_a_failed_change_set_cannot_run(emulator: Emulator) -> None:
    cfn = emulator.client("cloudformation")
    cfn.create_stack(StackName="app", TemplateBody=APP)
    create_change_set(cfn, "app", APP, kind="UPDATE", name="nothing-new")
    assert cfn.describe_change_set(StackName="app", ChangeSetName="nothing-new")["Status"] == "FAILED"

    error = attempt(cfn.execute_change_set, StackName="app", ChangeSetName="nothing-new")

    if emulator.stock:
        assert error is None
    else:
        _assert_invalid_status(error, "FAILED")


SIMPLE = """
Parameters:
  Env: {Type: String}
Resources:
  P:
    Type: AWS::SSM::Parameter
    Properties: {Type: String, Name: !Sub "/${Env}/p", Value: x}
"""


def test_a_change_set_without_changes_is_failed_not_refused(emulator: Emulator) -> None:
    cfn = emulator.client("cloudformation")
    cfn.create_stack(StackName="app", TemplateBody=SIMPLE, Parameters=[_param("Env", "dev")])

    error = attempt(create_change_set, cfn, "app", SIMPLE, kind="UPDATE", name="again", parameters={"Env": "dev"})

    if emulator.stock:  # UpdateStack's answer, not CreateChangeSet's
        assert isinstance(error, ClientError)
        assert error.response["Error"]["Message"] == "No updates are to be performed."
        return
    assert error is None
    described = cfn.describe_change_set(StackName="app", ChangeSetName="again")
    assert (described["Status"], described["ExecutionStatus"]) == ("FAILED", "UNAVAILABLE")
    assert described["StatusReason"].startswith("The submitted information didn't contain changes.")
    refused = attempt(cfn.update_stack, StackName="app", TemplateBody=SIMPLE, Parameters=[_param("Env", "dev")])
    assert isinstance(refused, ClientError)
    assert refused.response["Error"]["Message"] == "No updates are to be performed."


def test_change_set_names_are_unique_per_stack_only(fixed: Emulator) -> None:
    cfn = fixed.client("cloudformation")
    create_change_set(cfn, "app", APP, name="release-1")

    error = attempt(create_change_set, cfn, "app", APP, name="release-1")

    assert isinstance(error, ClientError)
    assert error.response["Error"]["Code"] == "AlreadyExistsException"
    missing = attempt(cfn.describe_change_set, StackName="app", ChangeSetName="release-2")
    assert isinstance(missing, ClientError)
    assert missing.response["Error"]["Code"] == "ChangeSetNotFound"


TAGGED = """
Parameters:
  Env: {Type: String}
  Token: {Type: String, NoEcho: true}
  Zones: {Type: CommaDelimitedList, Default: "a,b"}
  Size: {Type: Number, Default: 3}
Resources:
  P:
    Type: AWS::SSM::Parameter
    Properties: {Type: String, Name: !Sub "/${Env}/p", Value: !Select [0, !Ref Zones]}
"""


@pytest.mark.parametrize("kind", ["CREATE", "UPDATE"])
def test_tags_and_parameters_of_the_executed_change_set(emulator: Emulator, kind: str) -> None:
    cfn = emulator.client("cloudformation")
    parameters = {"Env": "dev", "Token": "s3cr3t"}
    tags = [{"Key": "app", "Value": "hello"}, {"Key": "version", "Value": "1"}]
    if kind == "UPDATE":
        cfn.create_stack(
            StackName="app",
            TemplateBody=TAGGED,
            Parameters=[{"ParameterKey": "Env", "ParameterValue": "dev"}, _param("Token", "old")],
            Tags=[{"Key": "version", "Value": "0"}],
        )
        parameters["Env"] = "prod"

    create_change_set(cfn, "app", TAGGED, kind=kind, parameters=parameters, Tags=tags)
    cfn.execute_change_set(StackName="app", ChangeSetName="release-1")

    stack = describe(cfn, "app")
    shown = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    expected = {"Env": parameters["Env"], "Token": "****", "Zones": "a,b", "Size": "3"}
    if not emulator.stock:
        assert sorted(stack["Tags"], key=lambda tag: tag["Key"]) == tags
        assert shown == expected
    elif kind == "CREATE":
        assert shown != expected  # the NoEcho value is shown, the list is not joined
        assert shown["Token"] == "s3cr3t"
    else:
        assert stack["Tags"] == [{"Key": "version", "Value": "0"}]  # the change set's tags are lost


def _param(key: str, value: str) -> dict[str, str]:
    return {"ParameterKey": key, "ParameterValue": value}


def _assert_invalid_status(error: Exception | None, status: str) -> None:
    assert isinstance(error, ClientError)
    assert error.response["Error"]["Code"] == "InvalidChangeSetStatus"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert f"[{status}]" in error.response["Error"]["Message"]
