"""``flightdeck bootstrap``: several applications share an account without narrowing each other's deploy role."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from aws_helpers import DEV, ORCHESTRATOR, admin_session, deploy_session
from botocore.exceptions import ClientError

from flightdeck import cli
from flightdeck.aws.bootstrap import STACK_NAME, roles_region, trusted_prefixes
from flightdeck.aws.stacks import describe_stack

pytestmark = pytest.mark.integration

INCLUDE = Path(__file__).resolve().parents[3] / "include"
MANIFEST = """\
version: 1
application: {application}
template: template.yaml
capabilities: [CAPABILITY_IAM]
deploy_role: {{name: flightdeck-deploy, execution_role: flightdeck-cfn-exec, external_id: flightdeck-demo}}
parameters: {{Greeting: hi, EnvironmentName: dev, AppVersion: "release:version"}}
environments:
  - name: dev
    accounts:
      - id: "111111111111"
        regions: [{regions}]
"""


def test_second_application_adds_its_prefix_where_the_roles_live(local_aws: str, tmp_path: Path) -> None:
    shutil.copy(INCLUDE / "apps" / "hello" / "template.yaml", tmp_path / "template.yaml")
    hello = tmp_path / "hello.yaml"
    hello.write_text(MANIFEST.format(application="hello", regions="eu-west-1"))
    (tmp_path / "other.yaml").write_text(MANIFEST.format(application="other", regions="us-east-1, eu-west-1"))

    assert cli.main(["bootstrap", str(hello), "--orchestrator-arn", ORCHESTRATOR]) == 0
    assert roles_region(admin_session(DEV)) == "eu-west-1"
    assert trusted_prefixes(admin_session(DEV, "eu-west-1")) == ("hello-dev",)

    # The other application deploys to us-east-1 first, but the roles stay in eu-west-1's stack, which now
    # trusts both applications' stacks; us-east-1 gets a bucket and no second copy of the roles.
    assert cli.main(["bootstrap", str(tmp_path / "other.yaml"), "--orchestrator-arn", ORCHESTRATOR]) == 0
    assert roles_region(admin_session(DEV, "us-east-1")) == "eu-west-1"
    assert trusted_prefixes(admin_session(DEV, "eu-west-1")) == ("hello-dev", "other-dev")
    east = describe_stack(admin_session(DEV, "us-east-1"), STACK_NAME)
    assert east is not None
    assert (east.status, east.parameters["CreateRoles"]) == ("CREATE_COMPLETE", "false")

    # Bootstrapping hello again keeps the other application's prefix.
    assert cli.main(["bootstrap", str(hello), "--orchestrator-arn", ORCHESTRATOR]) == 0
    assert trusted_prefixes(admin_session(DEV, "eu-west-1")) == ("hello-dev", "other-dev")


def test_a_third_application_updates_a_region_that_holds_no_roles(local_aws: str, tmp_path: Path) -> None:
    shutil.copy(INCLUDE / "apps" / "hello" / "template.yaml", tmp_path / "template.yaml")
    for application, regions in (("hello", "eu-west-1, us-east-1"), ("third", "eu-west-1, us-east-1")):
        (tmp_path / f"{application}.yaml").write_text(MANIFEST.format(application=application, regions=regions))
    assert cli.main(["bootstrap", str(tmp_path / "hello.yaml"), "--orchestrator-arn", ORCHESTRATOR]) == 0
    # us-east-1's stack (a bucket, no roles) is updated with the new prefixes: its conditional roles stay absent.
    assert cli.main(["bootstrap", str(tmp_path / "third.yaml"), "--orchestrator-arn", ORCHESTRATOR]) == 0
    east = describe_stack(admin_session(DEV, "us-east-1"), STACK_NAME)
    assert east is not None
    assert (east.status, east.parameters["CreateRoles"]) == ("UPDATE_COMPLETE", "false")
    assert trusted_prefixes(admin_session(DEV, "eu-west-1")) == ("hello-dev", "third-dev")
    # The deploy role itself was widened (IAM is enforced for it): it may look at the third application's stack.
    with pytest.raises(ClientError) as info:
        deploy_session(DEV, "us-east-1").client("cloudformation").describe_stacks(StackName="third-dev")
    assert info.value.response["Error"]["Message"] == "Stack with id third-dev does not exist"
