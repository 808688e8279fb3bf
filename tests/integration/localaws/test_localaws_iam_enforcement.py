"""IAM enforced for roles that exist: a session of a role in IAM gets only what the role's policies allow."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.exceptions import ClientError
from localaws_helpers import CONFIG, DEV, REGION, Emulator, attempt, create_change_set, describe, parameter_template

ADMIN = "OrganizationAccountAccessRole"  # the tests' administrator: a role IAM does not know
ROLE = "deployer"
SESSION = "localaws-tests"
PRINCIPAL = f"arn:aws:sts::{DEV}:assumed-role/{ROLE}/{SESSION}"
EXECUTION_ROLE = f"arn:aws:iam::{DEV}:role/flightdeck-cfn-exec"
HELLO_STACKS = f"arn:aws:cloudformation:*:{DEV}:stack/hello-*"
TEMPLATE = parameter_template({"A": ("/flightdeck/a", "1")})
NOT_ALLOWED = "because no identity-based policy allows the {action} action"
DENIED = "with an explicit deny in an identity-based policy"


def _allow(actions: str | list[str], resources: str | list[str], **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def _deny(actions: str | list[str], resources: str | list[str], **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": actions, "Resource": resources, **extra}


def _session(emulator: Emulator, role: str, account: str = DEV) -> boto3.Session:
    sts = boto3.client("sts", endpoint_url=emulator.endpoint_url, region_name=REGION, config=CONFIG)
    role_arn = f"arn:aws:iam::{account}:role/{role}"
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName=SESSION)["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=REGION,
    )


def _client(emulator: Emulator, service: str, role: str = ROLE, account: str = DEV) -> Any:
    return _session(emulator, role, account).client(service, endpoint_url=emulator.endpoint_url, config=CONFIG)


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _role(emulator: Emulator, *statements: dict[str, Any]) -> None:
    """Create the role under test in IAM with one inline policy of ``statements``."""
    iam = _client(emulator, "iam", ADMIN)
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=_policy())
    iam.put_role_policy(RoleName=ROLE, PolicyName="deploy", PolicyDocument=_policy(*statements))


def _refusal(error: Exception | None, action: str, resource: str | None, reason: str) -> None:
    """``error`` is AWS's AccessDenied for ``action`` on ``resource`` (None: an action on no resource)."""
    assert isinstance(error, ClientError), error
    on_resource = f" on resource: {resource}" if resource else ""
    message = f"User: {PRINCIPAL} is not authorized to perform: {action}{on_resource} {reason.format(action=action)}"
    assert error.response["Error"]["Code"] == "AccessDenied"
    assert error.response["Error"]["Message"] == message
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_a_role_that_may_create_change_sets_cannot_execute_them(emulator: Emulator) -> None:
    _role(emulator, _allow(["cloudformation:CreateChangeSet", "cloudformation:DescribeChangeSet"], HELLO_STACKS))
    cfn = _client(emulator, "cloudformation")
    bodies: list[bytes] = []
    cfn.meta.events.register(
        "before-parse.cloudformation.ExecuteChangeSet", lambda response_dict, **_: bodies.append(response_dict["body"])
    )
    created = create_change_set(cfn, "hello-dev", TEMPLATE)
    assert cfn.describe_change_set(ChangeSetName=created["Id"])["Status"] == "CREATE_COMPLETE"

    by_name = attempt(cfn.execute_change_set, StackName="hello-dev", ChangeSetName="release-1")

    admin = _client(emulator, "cloudformation", ADMIN)
    if emulator.stock:  # IAM is not enforced: the deployer executes
        assert by_name is None
        assert describe(admin, "hello-dev")["StackStatus"] == "CREATE_COMPLETE"
        return
    _refusal(by_name, "cloudformation:ExecuteChangeSet", created["StackId"], NOT_ALLOWED)
    assert by_name.response["Error"]["Type"] == "Sender"
    assert b"<ErrorResponse" in bodies[0]
    assert b"<Code>AccessDenied</Code>" in bodies[0]
    # Given only the change set's ARN, the resource is still the change set's stack.
    by_arn = attempt(cfn.execute_change_set, ChangeSetName=created["Id"])
    _refusal(by_arn, "cloudformation:ExecuteChangeSet", created["StackId"], NOT_ALLOWED)
    assert describe(admin, "hello-dev")["StackStatus"] == "REVIEW_IN_PROGRESS"
    assert attempt(admin.execute_change_set, ChangeSetName=created["Id"]) is None  # the owner may


def test_an_explicit_deny_wins(emulator: Emulator) -> None:
    _role(emulator, _allow("cloudformation:*", "*"), _deny("cloudformation:Delete*", HELLO_STACKS))
    cfn = _client(emulator, "cloudformation")
    cfn.create_stack(StackName="hello-dev", TemplateBody=TEMPLATE)
    stack_id = describe(cfn, "hello-dev")["StackId"]

    error = attempt(cfn.delete_stack, StackName="hello-dev")

    if emulator.stock:
        assert error is None
        return
    _refusal(error, "cloudformation:DeleteStack", stack_id, DENIED)
    assert describe(cfn, "hello-dev")["StackStatus"] == "CREATE_COMPLETE"


def test_stacks_are_scoped_by_name_prefix(emulator: Emulator) -> None:
    _role(emulator, _allow(["cloudformation:CreateChangeSet", "cloudformation:DescribeStacks"], HELLO_STACKS))
    cfn = _client(emulator, "cloudformation")

    allowed = attempt(create_change_set, cfn, "hello-dev", TEMPLATE)
    other = attempt(create_change_set, cfn, "other-dev", TEMPLATE)
    every_stack = attempt(cfn.describe_stacks)

    assert allowed is None
    assert describe(cfn, "hello-dev")["StackStatus"] == "REVIEW_IN_PROGRESS"
    if emulator.stock:
        assert other is None
        assert every_stack is None
        return
    # A stack that does not exist yet is named stack/<name>/*, as AWS reports it.
    other_stack = f"arn:aws:cloudformation:{REGION}:{DEV}:stack/other-dev/*"
    _refusal(other, "cloudformation:CreateChangeSet", other_stack, NOT_ALLOWED)
    _refusal(every_stack, "cloudformation:DescribeStacks", None, NOT_ALLOWED)
    assert attempt(describe, _client(emulator, "cloudformation", ADMIN), "other-dev") is not None  # not created


def test_change_sets_only_with_the_execution_role(emulator: Emulator) -> None:
    # The bootstrap's statements: a Deny unless the execution role is given, and passing only that role.
    _role(
        emulator,
        _allow(["cloudformation:CreateChangeSet", "cloudformation:DescribeStacks"], HELLO_STACKS),
        _deny(
            "cloudformation:CreateChangeSet",
            "*",
            Condition={"StringNotEquals": {"cloudformation:RoleArn": EXECUTION_ROLE}},
        ),
        _allow(
            "iam:PassRole",
            EXECUTION_ROLE,
            Condition={"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}},
        ),
    )
    cfn = _client(emulator, "cloudformation")

    without_role = attempt(create_change_set, cfn, "hello-dev", TEMPLATE)
    other_role = attempt(create_change_set, cfn, "hello-dev", TEMPLATE, RoleARN=f"arn:aws:iam::{DEV}:role/admin")
    execution_role = attempt(create_change_set, cfn, "hello-dev", TEMPLATE, RoleARN=EXECUTION_ROLE)

    if emulator.stock:
        assert without_role is None
        return
    stack = f"arn:aws:cloudformation:{REGION}:{DEV}:stack/hello-dev/*"
    _refusal(without_role, "cloudformation:CreateChangeSet", stack, DENIED)
    _refusal(other_role, "cloudformation:CreateChangeSet", stack, DENIED)
    assert execution_role is None
    assert describe(cfn, "hello-dev")["StackStatus"] == "REVIEW_IN_PROGRESS"


def test_passing_the_execution_role_needs_iam_pass_role(fixed: Emulator) -> None:
    _role(fixed, _allow("cloudformation:CreateChangeSet", HELLO_STACKS))
    cfn = _client(fixed, "cloudformation")

    error = attempt(create_change_set, cfn, "hello-dev", TEMPLATE, RoleARN=EXECUTION_ROLE)

    _refusal(error, "iam:PassRole", EXECUTION_ROLE, NOT_ALLOWED)


def test_sessions_of_roles_iam_does_not_know_and_plain_keys_are_allowed(emulator: Emulator) -> None:
    _role(emulator, _allow("cloudformation:DescribeStacks", HELLO_STACKS))  # exists, but is not the caller
    admin = _client(emulator, "cloudformation", ADMIN)
    plain = boto3.client(
        "cloudformation",
        endpoint_url=emulator.endpoint_url,
        region_name=REGION,
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="secret",
        config=CONFIG,
    )

    for index, cfn in enumerate((admin, plain)):
        stack = f"other-{index}"
        assert attempt(create_change_set, cfn, stack, TEMPLATE) is None
        assert attempt(cfn.execute_change_set, StackName=stack, ChangeSetName="release-1") is None
        assert attempt(cfn.delete_stack, StackName=stack) is None
        assert attempt(cfn.describe_stacks) is None


def test_policy_changes_apply_to_the_next_request(fixed: Emulator) -> None:
    _role(fixed, _allow(["cloudformation:CreateChangeSet", "cloudformation:DescribeChangeSet"], "*"))
    iam = _client(fixed, "iam", ADMIN)
    cfn = _client(fixed, "cloudformation")
    hello, other, third = (
        create_change_set(cfn, name, parameter_template({"A": (f"/flightdeck/{name}", "1")}))
        for name in ("hello-dev", "other-dev", "third")
    )
    before = attempt(cfn.execute_change_set, ChangeSetName=hello["Id"])
    execute = iam.create_policy(
        PolicyName="execute", PolicyDocument=_policy(_allow("cloudformation:ExecuteChangeSet", HELLO_STACKS))
    )["Policy"]["Arn"]

    iam.attach_role_policy(RoleName=ROLE, PolicyArn=execute)
    attached = [attempt(cfn.execute_change_set, ChangeSetName=cs["Id"]) for cs in (hello, other)]
    # A new default version of a managed policy counts, not the old one.
    iam.create_policy_version(
        PolicyArn=execute, PolicyDocument=_policy(_allow("cloudformation:ExecuteChangeSet", "*")), SetAsDefault=True
    )
    new_version = attempt(cfn.execute_change_set, ChangeSetName=other["Id"])
    iam.detach_role_policy(RoleName=ROLE, PolicyArn=execute)
    detached = attempt(cfn.execute_change_set, ChangeSetName=third["Id"])

    _refusal(before, "cloudformation:ExecuteChangeSet", hello["StackId"], NOT_ALLOWED)
    assert attached[0] is None
    _refusal(attached[1], "cloudformation:ExecuteChangeSet", other["StackId"], NOT_ALLOWED)
    assert new_version is None
    _refusal(detached, "cloudformation:ExecuteChangeSet", third["StackId"], NOT_ALLOWED)
    admin = _client(fixed, "cloudformation", ADMIN)
    statuses = [describe(admin, name)["StackStatus"] for name in ("hello-dev", "other-dev", "third")]
    assert statuses == ["CREATE_COMPLETE", "CREATE_COMPLETE", "REVIEW_IN_PROGRESS"]


def test_ssm_parameters(emulator: Emulator) -> None:
    parameters = f"arn:aws:ssm:*:{DEV}:parameter/flightdeck/*"
    _role(emulator, _allow(["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"], parameters))
    admin = _client(emulator, "ssm", ADMIN)
    for name in ("/flightdeck/dev/greeting", "/other/greeting"):
        admin.put_parameter(Name=name, Value="hello", Type="String")
    ssm = _client(emulator, "ssm")

    own = ssm.get_parameter(Name="/flightdeck/dev/greeting")["Parameter"]["Value"]
    by_path = ssm.get_parameters_by_path(Path="/flightdeck/", Recursive=True)["Parameters"]
    other = attempt(ssm.get_parameter, Name="/other/greeting")
    mixed = attempt(ssm.get_parameters, Names=["/flightdeck/dev/greeting", "/other/greeting"])
    put = attempt(ssm.put_parameter, Name="/flightdeck/dev/new", Value="x", Type="String")

    assert own == "hello"
    assert [p["Name"] for p in by_path] == ["/flightdeck/dev/greeting"]
    if emulator.stock:
        assert other is None
        assert mixed is None
        assert put is None
        return
    resource = f"arn:aws:ssm:{REGION}:{DEV}:parameter/other/greeting"
    for error, action in ((other, "ssm:GetParameter"), (mixed, "ssm:GetParameters")):
        assert isinstance(error, ClientError)
        assert error.response["Error"]["Code"] == "AccessDeniedException"
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        message = f"User: {PRINCIPAL} is not authorized to perform: {action} on resource: {resource} "
        assert error.response["Error"]["Message"] == message + NOT_ALLOWED.format(action=action)
    assert isinstance(put, ClientError)
    assert put.response["Error"]["Code"] == "AccessDeniedException"


def test_s3_objects(emulator: Emulator) -> None:
    bucket = f"flightdeck-artifacts-{DEV}-{REGION}"
    _role(
        emulator,
        _allow(["s3:GetObject", "s3:PutObject"], f"arn:aws:s3:::{bucket}/*"),
        _allow("s3:ListBucket", f"arn:aws:s3:::{bucket}"),
    )
    admin = _client(emulator, "s3", ADMIN)
    for name in (bucket, "other-bucket"):
        admin.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        admin.put_object(Bucket=name, Key="hello/template.yaml", Body=b"x")
    s3 = _client(emulator, "s3")

    s3.put_object(Bucket=bucket, Key="hello/new.yaml", Body=b"y")
    s3.head_bucket(Bucket=bucket)
    own = s3.get_object(Bucket=bucket, Key="hello/new.yaml")["Body"].read()
    other = attempt(s3.get_object, Bucket="other-bucket", Key="hello/template.yaml")
    other_bucket = attempt(s3.head_bucket, Bucket="other-bucket")

    assert own == b"y"
    if emulator.stock:
        assert other is None
        assert other_bucket is None
        return
    assert isinstance(other, ClientError)
    assert other.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert other.response["Error"]["Code"] == "AccessDenied"
    resource = '"arn:aws:s3:::other-bucket/hello/template.yaml"'  # S3 quotes it
    action = "s3:GetObject"
    expected = f"User: {PRINCIPAL} is not authorized to perform: {action} on resource: {resource} "
    assert other.response["Error"]["Message"] == expected + NOT_ALLOWED.format(action=action)
    assert isinstance(other_bucket, ClientError)  # HEAD: a 403 without a body, as on AWS
    assert other_bucket.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_the_access_role_of_an_account_created_through_organizations_is_an_administrator(emulator: Emulator) -> None:
    organizations = _client(emulator, "organizations", ADMIN)
    organizations.create_organization(FeatureSet="ALL")
    created = organizations.create_account(AccountName="member", Email="member@example.com")
    member = created["CreateAccountStatus"]["AccountId"]
    iam = _client(emulator, "iam", ADMIN, member)  # the role exists now: its session is authorized
    cfn = _client(emulator, "cloudformation", ADMIN, member)

    policies = iam.list_role_policies(RoleName=ADMIN)["PolicyNames"]
    deployed = attempt(create_change_set, cfn, "any-stack", TEMPLATE)

    assert deployed is None
    if emulator.stock:  # a role with no permissions at all, unnoticed since IAM is not enforced
        assert policies == []
        return
    assert policies == ["AdministratorAccess"]
    document = iam.get_role_policy(RoleName=ADMIN, PolicyName="AdministratorAccess")["PolicyDocument"]
    assert document["Statement"] == [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    iam.delete_role_policy(RoleName=ADMIN, PolicyName="AdministratorAccess")
    assert isinstance(attempt(cfn.describe_stacks), ClientError)  # what moto's role alone would give
