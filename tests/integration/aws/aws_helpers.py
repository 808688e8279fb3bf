"""Helpers of the aws-layer integration tests: sessions in target accounts, bootstrap, the hello app."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flightdeck.aws.bootstrap import bootstrap_account
from flightdeck.aws.cloudformation import ChangeSet, create_change_set
from flightdeck.aws.packaging import package_template, upload_package
from flightdeck.aws.parameters import resolve_parameters
from flightdeck.aws.session import AccountSession, assume_role

ORCHESTRATOR = "arn:aws:iam::999999999999:role/flightdeck-orchestrator"
EXTERNAL_ID = "flightdeck-demo"
DEV, STAGING = "111111111111", "222222222222"
REGION = "eu-west-1"
HELLO = Path(__file__).resolve().parents[3] / "include" / "apps" / "hello" / "template.yaml"
GREETING = "Hello"
API_TOKEN = "s3cr3t-t0ken"


def deploy_session(account: str, region: str = REGION) -> AccountSession:
    """The orchestrator acting in ``account`` through its deploy role."""
    return assume_role(
        aws_conn_id=None,
        role_arn=f"arn:aws:iam::{account}:role/flightdeck-deploy",
        region=region,
        session_name="flightdeck-tests",
        external_id=EXTERNAL_ID,
    )


def admin_session(account: str, region: str = REGION) -> AccountSession:
    """An administrator of ``account`` (what bootstrapping and seeding use)."""
    return assume_role(
        aws_conn_id=None,
        role_arn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
        region=region,
        session_name="flightdeck-admin",
    )


def bootstrap(account: str, region: str = REGION, *, create_roles: bool = True):
    return bootstrap_account(
        admin_session(account, region),
        orchestrator_principal_arn=ORCHESTRATOR,
        external_id=EXTERNAL_ID,
        create_roles=create_roles,
        application_stack_prefixes=("hello-",),
    )


def artifact_bucket(account: str, region: str = REGION) -> str:
    return f"flightdeck-artifacts-{account}-{region}"


@dataclass
class HelloTarget:
    """The dev target of the hello application, bootstrapped and seeded, and how to deploy to it."""

    session: AccountSession
    environment: str = "dev"

    @property
    def stack_name(self) -> str:
        return f"hello-{self.environment}"

    def change_set(self, version: str, name: str, template: Path = HELLO) -> ChangeSet:
        """Package, upload, resolve parameters, and create a change set, as the release DAG does."""
        package = package_template(template, key_prefix="hello")
        upload = upload_package(self.session, artifact_bucket(self.session.account_id), package)
        sources = [
            ("Greeting", "ssm", "/flightdeck/hello/greeting"),
            ("LogLevel", "literal", "DEBUG"),
            ("AppVersion", "release", "version"),
            ("EnvironmentName", "literal", self.environment),
        ]
        parameters = resolve_parameters(self.session, sources, release={"version": version, "run_id": name})
        return create_change_set(
            self.session,
            stack_name=self.stack_name,
            change_set_name=name,
            template_url=upload.template_url,
            parameters=parameters,
            tags={"flightdeck:application": "hello", "flightdeck:version": version},
            capabilities=["CAPABILITY_IAM"],
            execution_role_arn=f"arn:aws:iam::{self.session.account_id}:role/flightdeck-cfn-exec",
            description=f"hello {version}",
        )
