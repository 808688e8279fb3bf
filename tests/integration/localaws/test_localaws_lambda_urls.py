"""Lambda function URLs: ``AWS::Lambda::Url`` deploys, and its URL answers HTTP with the function's result."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
import requests
from localaws_helpers import DEV, REGION, Emulator, attempt, deploy, outputs, status_or_error, zip_bytes
from tests.integration.aws.aws_helpers import (
    API_TOKEN,
    GREETING,
    HelloTarget,
    admin_session,
    bootstrap,
    deploy_session,
)

from flightdeck.aws.cloudformation import execute_change_set

HANDLER = """
import base64
import json


def handler(event, context):
    query = event.get("queryStringParameters") or {}
    if "fail" in query:
        raise ValueError("boom")
    if "plain" in query:
        return {"seen": event["rawPath"]}
    if "binary" in query:
        return {
            "statusCode": 200,
            "headers": {"content-type": "application/octet-stream"},
            "cookies": ["a=1", "b=2; Path=/"],
            "isBase64Encoded": True,
            "body": base64.b64encode(bytes([0, 1, 255])).decode(),
        }
    headers = {"content-type": "application/json", "x-greeting": "hi"}
    return {"statusCode": 201, "headers": headers, "body": json.dumps(event)}
"""
FUNCTION = """
Parameters:
  Greeting: {Type: String, Default: hello}
  Cors: {Type: String, Default: ""}
Conditions:
  WithCors: !Not [!Equals [!Ref Cors, ""]]
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.11
      Handler: app.handler
      Role: !GetAtt Role.Arn
      Timeout: 10
      Code: {S3Bucket: !Sub "code-${AWS::AccountId}", S3Key: app.zip}
      Environment: {Variables: {GREETING: !Ref Greeting}}
"""
URL = """
  Url:
    Type: AWS::Lambda::Url
    Properties:
      AuthType: NONE
      TargetFunctionArn: !GetAtt Fn.Arn
      Cors: !If [WithCors, {AllowOrigins: [!Ref Cors]}, !Ref AWS::NoValue]
"""
URL_PERMISSION = """
  UrlPermission:
    Type: AWS::Lambda::Permission
    Properties: {Action: "lambda:InvokeFunctionUrl", FunctionName: !Ref Fn, Principal: "*", FunctionUrlAuthType: NONE}
"""
INVOKE_PERMISSION = """
  InvokePermission:
    Type: AWS::Lambda::Permission
    Properties: {Action: "lambda:InvokeFunction", FunctionName: !Ref Fn, Principal: "*", InvokedViaFunctionUrl: true}
"""
OUTPUTS = """
Outputs:
  ApiUrl: {Value: !GetAtt Url.FunctionUrl}
  UrlArn: {Value: !GetAtt Url.FunctionArn}
  UrlRef: {Value: !Ref Url}
"""
TEMPLATE = FUNCTION + URL + URL_PERMISSION + INVOKE_PERMISSION + OUTPUTS


@pytest.fixture
def http() -> requests.Session:
    """An HTTP client that ignores proxy settings of the environment (the emulator is local)."""
    session = requests.Session()
    session.trust_env = False
    return session


def _upload_code(emulator: Emulator, account: str = DEV) -> None:
    s3 = emulator.client("s3", account)
    s3.create_bucket(Bucket=f"code-{account}", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=f"code-{account}", Key="app.zip", Body=zip_bytes({"app.py": HANDLER}))


def _deploy(emulator: Emulator, template: str = TEMPLATE, stack: str = "web") -> dict[str, str]:
    """Deploy ``template`` by change set; its outputs."""
    _upload_code(emulator)
    cfn = emulator.client("cloudformation")
    assert deploy(cfn, stack, template) is None
    assert status_or_error(cfn, stack) == "CREATE_COMPLETE"
    return outputs(cfn, stack)


def test_url_resource_deploys_and_points_at_the_emulator(emulator: Emulator) -> None:
    _upload_code(emulator)
    cfn = emulator.client("cloudformation")

    error = deploy(cfn, "web", TEMPLATE)

    if emulator.stock:  # the resource is skipped: no URL (and Outputs reading it fail with HTTP 500)
        lambda_ = emulator.client("lambda")
        [function] = [f["FunctionArn"] for f in lambda_.list_functions()["Functions"]]
        assert attempt(lambda_.get_function_url_config, FunctionName=function) is not None
        return
    assert error is None
    found = outputs(cfn, "web")
    function_name = cfn.describe_stack_resource(StackName="web", LogicalResourceId="Fn")["StackResourceDetail"][
        "PhysicalResourceId"
    ]
    function_arn = f"arn:aws:lambda:{REGION}:{DEV}:function:{function_name}"
    assert re.fullmatch(rf"{re.escape(emulator.endpoint_url)}/_flightdeck/lambda-url/[0-9a-f]{{32}}/", found["ApiUrl"])
    assert found["UrlArn"] == found["UrlRef"] == function_arn
    config = emulator.client("lambda").get_function_url_config(FunctionName=function_arn)
    assert (config["FunctionUrl"], config["AuthType"]) == (found["ApiUrl"], "NONE")


def test_get_invokes_the_function_with_a_payload_2_0_event(fixed: Emulator, http: requests.Session) -> None:
    url = _deploy(fixed)["ApiUrl"]

    response = http.get(f"{url}items/42?name=flight&tag=a&tag=b", headers={"X-Trace": "abc"}, cookies={"c": "1"})

    assert response.status_code == 201
    assert (response.headers["content-type"], response.headers["x-greeting"]) == ("application/json", "hi")
    event = response.json()
    url_id = url.rstrip("/").rsplit("/", 1)[1]
    assert {key: event[key] for key in ("version", "rawPath", "rawQueryString", "isBase64Encoded")} == {
        "version": "2.0",
        "rawPath": "/items/42",
        "rawQueryString": "name=flight&tag=a&tag=b",
        "isBase64Encoded": False,
    }
    assert event["queryStringParameters"] == {"name": "flight", "tag": "a,b"}
    assert event["headers"]["x-trace"] == "abc"
    assert event["cookies"] == ["c=1"]
    assert "body" not in event
    http_context = event["requestContext"]["http"]
    assert (http_context["method"], http_context["path"], http_context["sourceIp"]) == ("GET", "/items/42", "127.0.0.1")
    assert (event["requestContext"]["apiId"], event["requestContext"]["accountId"]) == (url_id, "anonymous")


def test_post_bodies_reach_the_function(fixed: Emulator, http: requests.Session) -> None:
    url = _deploy(fixed)["ApiUrl"]

    text = http.post(url, json={"order": 7}).json()
    binary = http.post(f"{url}upload", data=bytes([0, 1, 255]), headers={"content-type": "image/png"}).json()

    assert (text["requestContext"]["http"]["method"], text["rawPath"]) == ("POST", "/")
    assert (json.loads(text["body"]), text["isBase64Encoded"]) == ({"order": 7}, False)
    assert (base64.b64decode(binary["body"]), binary["isBase64Encoded"]) == (bytes([0, 1, 255]), True)


def test_results_become_http_responses_as_on_aws(fixed: Emulator, http: requests.Session) -> None:
    url = _deploy(fixed)["ApiUrl"]

    plain = http.get(f"{url}here?plain=1")
    binary = http.get(f"{url}?binary=1")

    assert (plain.status_code, plain.headers["content-type"], plain.json()) == (
        200,
        "application/json",
        {"seen": "/here"},
    )
    assert (binary.status_code, binary.content) == (200, bytes([0, 1, 255]))
    assert binary.raw.headers.getlist("set-cookie") == ["a=1", "b=2; Path=/"]


def test_function_error_is_a_502(fixed: Emulator, http: requests.Session) -> None:
    url = _deploy(fixed)["ApiUrl"]

    response = http.get(f"{url}?fail=1")

    assert (response.status_code, response.json()) == (502, {"Message": "Internal Server Error"})


@pytest.mark.parametrize("permissions", ["", URL_PERMISSION], ids=["none", "url-only"])
def test_url_needs_both_public_permissions(fixed: Emulator, http: requests.Session, permissions: str) -> None:
    url = _deploy(fixed, FUNCTION + URL + permissions + OUTPUTS)["ApiUrl"]

    response = http.get(url)

    assert (response.status_code, response.json()) == (403, {"Message": "Forbidden"})
    assert response.headers["x-amzn-errortype"] == "AccessDeniedException"


def test_update_keeps_the_url_and_delete_removes_it(fixed: Emulator, http: requests.Session) -> None:
    url = _deploy(fixed)["ApiUrl"]
    cfn = fixed.client("cloudformation")

    update = {"Greeting": "bonjour", "Cors": "https://example.com"}
    assert deploy(cfn, "web", TEMPLATE, kind="UPDATE", name="release-2", parameters=update) is None

    assert status_or_error(cfn, "web") == "UPDATE_COMPLETE"
    assert outputs(cfn, "web")["ApiUrl"] == url
    function = outputs(cfn, "web")["UrlArn"]
    assert fixed.client("lambda").get_function_url_config(FunctionName=function)["Cors"] == {
        "AllowOrigins": ["https://example.com"]
    }
    assert http.get(url).status_code == 201

    cfn.delete_stack(StackName="web")

    assert http.get(url).status_code == 404
    assert attempt(fixed.client("lambda").get_function_url_config, FunctionName=function) is not None


def test_lambda_api_urls(emulator: Emulator, http: requests.Session) -> None:
    _deploy(emulator, FUNCTION)
    lambda_ = emulator.client("lambda")
    [function] = [f["FunctionArn"] for f in lambda_.list_functions()["Functions"]]

    url = lambda_.create_function_url_config(FunctionName=function, AuthType="NONE")["FunctionUrl"]
    again = attempt(lambda_.create_function_url_config, FunctionName=function, AuthType="NONE")

    if emulator.stock:  # an AWS host name that leads nowhere; a second URL silently replaces the first
        assert re.fullmatch(rf"https://[0-9a-f]{{32}}\.lambda-url\.{REGION}\.on\.aws", url)
        assert again is None
        return
    assert url.startswith(f"{emulator.endpoint_url}/_flightdeck/lambda-url/")
    assert "ResourceConflictException" in str(again)
    for action, extra in (("InvokeFunctionUrl", {"FunctionUrlAuthType": "NONE"}), ("InvokeFunction", {})):
        lambda_.add_permission(
            FunctionName=function, StatementId=action, Action=f"lambda:{action}", Principal="*", **extra
        )
    assert http.get(f"{url}?plain=1").json() == {"seen": "/"}
    lambda_.delete_function_url_config(FunctionName=function)
    assert http.get(url).status_code == 404


@pytest.fixture
def hello(local_aws: str) -> HelloTarget:
    """Account 111111111111 bootstrapped and seeded, as the aws-layer tests have it."""
    bootstrap(DEV)
    admin = admin_session(DEV)
    admin.client("ssm").put_parameter(Name="/flightdeck/hello/greeting", Value=GREETING, Type="String")
    admin.client("secretsmanager").create_secret(
        Name="flightdeck/hello/api-token", SecretString=json.dumps({"token": API_TOKEN})
    )
    return HelloTarget(session=deploy_session(DEV))


def test_hello_app_answers_on_its_api_url(hello: HelloTarget, http: requests.Session) -> None:
    change_set = hello.change_set("1.0.0", "release-1")
    stack = execute_change_set(hello.session, stack_name=hello.stack_name, change_set_id=change_set.id)

    response = http.get(stack.outputs["ApiUrl"], params={"name": "tests"})

    assert (response.status_code, response.headers["content-type"]) == (200, "application/json")
    answer: dict[str, Any] = response.json()
    assert (answer["status"], answer["environment"], answer["version"]) == ("ok", "dev", "1.0.0")
    assert answer["message"] == f"{GREETING} from dev, tests"
    assert answer["token_configured"] is True
