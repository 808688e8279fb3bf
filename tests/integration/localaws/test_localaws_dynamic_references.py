"""Gap G: ``{{resolve:...}}`` dynamic references are resolved at deploy time in the stack's account."""

from __future__ import annotations

import json

import pytest
from localaws_helpers import DEV, STAGING, Emulator, deploy, describe, events, parameter_template, ssm_value


def _seed(emulator: Emulator, account: str = DEV, suffix: str = "") -> dict[str, str]:
    ssm, secrets = emulator.client("ssm", account), emulator.client("secretsmanager", account)
    ssm.put_parameter(Name="/shared/greeting", Value=f"hello{suffix}", Type="String")
    ssm.put_parameter(Name="/shared/greeting", Value=f"hi{suffix}", Type="String", Overwrite=True)
    ssm.put_parameter(Name="/shared/password", Value=f"pa55{suffix}", Type="SecureString")
    first = secrets.create_secret(Name="app/db", SecretString=json.dumps({"user": "admin", "port": 5432}))
    secrets.put_secret_value(SecretId="app/db", SecretString=json.dumps({"user": f"root{suffix}", "port": 6543}))
    return {"arn": first["ARN"], "first_version": first["VersionId"]}


REFERENCES = {
    "Latest": ("/out/latest", "{{resolve:ssm:/shared/greeting}}"),
    "Versioned": ("/out/versioned", "{{resolve:ssm:/shared/greeting:1}}"),
    "Embedded": ("/out/embedded", "say {{resolve:ssm:/shared/greeting}}, {{resolve:ssm:/shared/greeting:1}}!"),
    "Secure": ("/out/secure", "{{resolve:ssm-secure:/shared/password}}"),
    "Secret": ("/out/secret", "{{resolve:secretsmanager:app/db}}"),
    "SecretKey": ("/out/secret-key", "{{resolve:secretsmanager:app/db:SecretString:user}}"),
    "SecretNumber": ("/out/secret-number", "{{resolve:secretsmanager:app/db:SecretString:port}}"),
    "SecretPrevious": ("/out/secret-previous", "{{resolve:secretsmanager:app/db:SecretString:user:AWSPREVIOUS}}"),
}


def test_references_are_resolved_and_the_template_keeps_them(emulator: Emulator) -> None:
    seeded = _seed(emulator)
    references = dict(REFERENCES)
    references["SecretByArn"] = ("/out/secret-arn", f"{{{{resolve:secretsmanager:{seeded['arn']}:SecretString:user}}}}")
    references["SecretById"] = (
        "/out/secret-id",
        f"{{{{resolve:secretsmanager:app/db:SecretString:user::{seeded['first_version']}}}}}",
    )
    template = parameter_template(references)
    cfn, ssm = emulator.client("cloudformation"), emulator.client("ssm")

    assert deploy(cfn, "app", template) is None

    values = {name: ssm_value(ssm, name) for name, _ in references.values()}
    if emulator.stock:
        assert values == dict(references.values())  # passed through
        return
    assert values == {
        "/out/latest": "hi",
        "/out/versioned": "hello",
        "/out/embedded": "say hi, hello!",
        "/out/secure": "pa55",
        "/out/secret": json.dumps({"user": "root", "port": 6543}),
        "/out/secret-key": "root",
        "/out/secret-number": "6543",
        "/out/secret-previous": "admin",
        "/out/secret-arn": "root",
        "/out/secret-id": "admin",
    }
    assert "{{resolve:ssm:/shared/greeting}}" in cfn.get_template(StackName="app")["TemplateBody"]


def test_references_resolve_in_the_stack_account(emulator: Emulator) -> None:
    _seed(emulator, DEV, suffix="-dev")
    _seed(emulator, STAGING, suffix="-staging")
    template = parameter_template({"Latest": REFERENCES["Latest"], "SecretKey": REFERENCES["SecretKey"]})
    cfn, ssm = emulator.client("cloudformation", STAGING), emulator.client("ssm", STAGING)

    deploy(cfn, "app", template)

    resolved = (ssm_value(ssm, "/out/latest"), ssm_value(ssm, "/out/secret-key"))
    if emulator.stock:
        assert resolved == (REFERENCES["Latest"][1], REFERENCES["SecretKey"][1])
    else:
        assert resolved == ("hi-staging", "root-staging")


def test_references_are_resolved_again_on_each_deployment(fixed: Emulator) -> None:
    ssm, cfn = fixed.client("ssm"), fixed.client("cloudformation")
    ssm.put_parameter(Name="/shared/greeting", Value="hello", Type="String")
    template = parameter_template({"Latest": REFERENCES["Latest"]})
    deploy(cfn, "app", template)
    ssm.put_parameter(Name="/shared/greeting", Value="bonjour", Type="String", Overwrite=True)

    deploy(cfn, "app", template.replace("/out/latest", "/out/renamed"), kind="UPDATE", name="release-2")

    assert ssm_value(ssm, "/out/renamed") == "bonjour"


@pytest.mark.parametrize(
    ("reference", "problem"),
    [
        ("{{resolve:ssm:/nowhere}}", "/nowhere not found in account 111111111111"),
        ("{{resolve:ssm:/shared/greeting:9}}", "version 9"),
        ("{{resolve:ssm:/shared/password}}", "SecureString"),
        ("{{resolve:secretsmanager:no/such/secret}}", "can't find the specified secret"),
        ("{{resolve:secretsmanager:app/db:SecretString:nokey}}", "no JSON key 'nokey'"),
    ],
)
def test_unresolvable_reference_fails_the_deployment(emulator: Emulator, reference: str, problem: str) -> None:
    _seed(emulator)
    cfn = emulator.client("cloudformation")

    deploy(cfn, "app", parameter_template({"Out": ("/out/value", reference)}))

    status = describe(cfn, "app")["StackStatus"]
    if emulator.stock:
        assert status == "CREATE_COMPLETE"
        return
    assert status == "ROLLBACK_COMPLETE"
    [failed] = [e for e in events(cfn, "app") if e["ResourceStatus"] == "CREATE_FAILED"]
    assert failed["LogicalResourceId"] == "Out"
    assert reference in failed["ResourceStatusReason"]
    assert problem in failed["ResourceStatusReason"]
