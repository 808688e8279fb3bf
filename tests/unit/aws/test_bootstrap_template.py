"""The shipped templates are lint clean, and the bootstrap grants what it must and little else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import lint_file

from flightdeck.aws.packaging import load_template

INCLUDE = Path(__file__).resolve().parents[3] / "include"
BOOTSTRAP = INCLUDE / "bootstrap" / "bootstrap.yaml"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(BOOTSTRAP)


def _statements(template: dict[str, Any], role: str) -> dict[str, dict[str, Any]]:
    """The role's policy statements by Sid; a statement under ``Fn::If`` counts as its condition's true branch."""
    (policy,) = template["Resources"][role]["Properties"]["Policies"]
    statements = [s["Fn::If"][1] if "Fn::If" in s else s for s in policy["PolicyDocument"]["Statement"]]
    return {s["Sid"]: s for s in statements}


@pytest.mark.parametrize("path", ["bootstrap/bootstrap.yaml", "apps/hello/template.yaml"])
def test_templates_are_cfn_lint_clean(path: str) -> None:
    assert [str(match) for match in lint_file(INCLUDE / path)] == []


def test_interface(template: dict[str, Any]) -> None:
    parameters = {"OrchestratorPrincipalArn", "ExternalId", "CreateRoles", "AllowExecute", "StackNamePrefixes"}
    assert set(template["Parameters"]) == parameters
    assert template["Parameters"]["ExternalId"]["NoEcho"] is True
    assert set(template["Outputs"]) == {"ArtifactBucket", "DeployRoleArn", "ExecutionRoleArn"}


def test_bucket_is_versioned_encrypted_private_and_tls_only(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    bucket = resources["ArtifactBucket"]["Properties"]
    assert bucket["BucketName"] == {"Fn::Sub": "flightdeck-artifacts-${AWS::AccountId}-${AWS::Region}"}
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    (statement,) = resources["ArtifactBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_roles_exist_only_where_asked(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    assert resources["DeployRole"]["Condition"] == "CreateRolesHere"
    assert resources["ExecutionRole"]["Condition"] == "CreateRolesHere"
    assert "Condition" not in resources["ArtifactBucket"]


def test_deploy_role_trusts_only_the_orchestrator_with_external_id(template: dict[str, Any]) -> None:
    trust = template["Resources"]["DeployRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust == [
        {
            "Effect": "Allow",
            "Principal": {"AWS": {"Ref": "OrchestratorPrincipalArn"}},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}},
        }
    ]


def test_deploy_role_is_scoped(template: dict[str, Any]) -> None:
    statements = _statements(template, "DeployRole")
    stacks = statements["ChangeSetsOnApplicationStacks"]["Resource"]
    assert stacks == {
        "Fn::Split": [
            ",",
            {
                "Fn::Sub": [
                    "arn:${AWS::Partition}:cloudformation:*:${AWS::AccountId}:stack/${Prefixes}*",
                    {"Prefixes": {"Fn::Join": ["*,arn:aws:cloudformation:*:*:stack/", {"Ref": "StackNamePrefixes"}]}},
                ]
            },
        ]
    }
    assert statements["OnlyWithTheExecutionRole"]["Effect"] == "Deny"
    pass_role = statements["PassTheExecutionRoleToCloudFormation"]
    assert pass_role["Resource"]["Fn::Sub"].endswith(":role/flightdeck-cfn-exec")
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}}
    for statement in statements.values():
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert not any(action.endswith("*") for action in actions)
        # ListSecrets and DescribeStackDriftDetectionStatus have no resource-level permissions: IAM accepts "*" only.
        assert (
            statement["Resource"] != "*"
            or statement["Effect"] == "Deny"
            or actions in (["secretsmanager:ListSecrets"], ["cloudformation:DescribeStackDriftDetectionStatus"])
        )


def test_deploy_role_manages_exactly_the_configuration_namespaces(template: dict[str, Any]) -> None:
    statements = _statements(template, "DeployRole")
    parameters = statements["ConfigurationParameters"]
    assert parameters["Resource"]["Fn::Sub"].endswith(":ssm:*:${AWS::AccountId}:parameter/flightdeck/*")
    assert sorted(parameters["Action"]) == [
        "ssm:DeleteParameter",
        "ssm:GetParameter",
        "ssm:GetParameters",
        "ssm:GetParametersByPath",
        "ssm:PutParameter",
    ]
    secrets = statements["ConfigurationSecrets"]
    assert secrets["Resource"]["Fn::Sub"].endswith(":secretsmanager:*:${AWS::AccountId}:secret:flightdeck/*")
    assert sorted(secrets["Action"]) == [
        "secretsmanager:CreateSecret",
        "secretsmanager:DeleteSecret",
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetSecretValue",
        "secretsmanager:PutSecretValue",
    ]
    assert statements["ListConfigurationSecrets"] == {
        "Sid": "ListConfigurationSecrets",
        "Effect": "Allow",
        "Action": "secretsmanager:ListSecrets",
        "Resource": "*",
    }
    granted = [
        action
        for statement in statements.values()
        if statement["Effect"] == "Allow"
        for action in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
        if action.startswith(("ssm:", "secretsmanager:"))
    ]
    assert len(granted) == 11  # nothing else of SSM or Secrets Manager, anywhere


def test_execution_role_is_trusted_by_cloudformation_only(template: dict[str, Any]) -> None:
    properties = template["Resources"]["ExecutionRole"]["Properties"]
    (trust,) = properties["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "cloudformation.amazonaws.com"}
    for statement in _statements(template, "ExecutionRole").values():
        assert statement["Resource"] != "*"


def _split_sub_join(resource: dict[str, Any], prefixes: list[str]) -> list[str]:
    """Evaluate the Split(Sub(…, Join(…, prefixes))) form of a resource list as CloudFormation would."""
    _, (template, variables) = resource["Fn::Split"][0], resource["Fn::Split"][1]["Fn::Sub"]
    delimiter, _ = variables["Prefixes"]["Fn::Join"]
    text = template.replace("${Prefixes}", delimiter.join(prefixes))
    text = text.replace("${AWS::Partition}", "aws").replace("${AWS::AccountId}", "111111111111")
    return text.split(",")


def test_one_resource_per_application_prefix(template: dict[str, Any]) -> None:
    statements = _statements(template, "DeployRole")
    assert _split_sub_join(statements["ChangeSetsOnApplicationStacks"]["Resource"], ["fleet-", "hello-"]) == [
        "arn:aws:cloudformation:*:111111111111:stack/fleet-*",
        "arn:aws:cloudformation:*:*:stack/hello-*",
    ]
    execution = _statements(template, "ExecutionRole")
    assert _split_sub_join(execution["FunctionRoles"]["Resource"], ["hello-"]) == [
        "arn:aws:iam::111111111111:role/hello-*"
    ]
    assert _split_sub_join(execution["Functions"]["Resource"], ["a-", "b-"]) == [
        "arn:aws:lambda:*:111111111111:function:a-*",
        "arn:aws:lambda:*:*:function:b-*",
    ]


def test_only_account_owners_execute_where_allow_execute_is_false(template: dict[str, Any]) -> None:
    (policy,) = template["Resources"]["DeployRole"]["Properties"]["Policies"]
    conditional = [s["Fn::If"] for s in policy["PolicyDocument"]["Statement"] if "Fn::If" in s]
    assert [(condition, then["Sid"], otherwise) for condition, then, otherwise in conditional] == [
        ("ExecuteHere", "ExecuteChangeSetsOnApplicationStacks", {"Ref": "AWS::NoValue"})
    ]
    assert template["Conditions"]["ExecuteHere"] == {"Fn::Equals": [{"Ref": "AllowExecute"}, "true"]}
    unconditional = [s for s in policy["PolicyDocument"]["Statement"] if "Fn::If" not in s]
    assert not any("cloudformation:ExecuteChangeSet" in str(s.get("Action")) for s in unconditional)


def test_deploy_role_may_detect_drift_and_read_what_drift_detection_reads(template: dict[str, Any]) -> None:
    statements = _statements(template, "DeployRole")
    assert {
        "cloudformation:DetectStackDrift",
        "cloudformation:DetectStackResourceDrift",
        "cloudformation:DescribeStackResourceDrifts",
    } <= set(statements["ChangeSetsOnApplicationStacks"]["Action"])
    assert statements["DriftDetectionStatus"]["Resource"] == "*"
    functions, roles = statements["DriftOfFunctions"], statements["DriftOfFunctionRoles"]
    for statement in (functions, roles):
        assert all(action.split(":")[1].startswith(("Get", "List")) for action in statement["Action"])  # read-only
    assert _split_sub_join(functions["Resource"], ["hello-"]) == ["arn:aws:lambda:*:111111111111:function:hello-*"]
    assert _split_sub_join(roles["Resource"], ["hello-"]) == ["arn:aws:iam::111111111111:role/hello-*"]
