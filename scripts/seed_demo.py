"""Seed the demo accounts with the parameters and secrets their account owners would create."""

from __future__ import annotations

import contextlib
import json
import secrets
import sys
from pathlib import Path

import yaml

from flightdeck.aws.organizations import ORGANIZATIONS_REGION
from flightdeck.aws.session import AccountSession, assume_role
from flightdeck.bootstrap_cli import selected_targets
from flightdeck.manifest import discover_manifests, load_manifest
from flightdeck.plan import build_plan

ROOT = Path(__file__).resolve().parent.parent
ADMIN_ROLE = "OrganizationAccountAccessRole"


def account_owner_session(account_id: str, region: str) -> AccountSession:
    """A session with the account owner's rights (the role Organizations creates in member accounts)."""
    return assume_role(
        aws_conn_id=None,
        role_arn=f"arn:aws:iam::{account_id}:role/{ADMIN_ROLE}",
        region=region,
        session_name="flightdeck-demo-seed",
    )


def seed(manifests_dir: Path) -> None:
    for path in discover_manifests(manifests_dir):
        plan = build_plan(load_manifest(path))
        seed_file = Path(plan.template_path).parent / "demo-seed.yaml"  # next to the application's template
        if not seed_file.exists():
            continue
        data = yaml.safe_load(seed_file.read_text())
        targets = list(plan.targets)
        if plan.organizations is not None:
            management = account_owner_session(plan.organizations.management_account, ORGANIZATIONS_REGION)
            targets += selected_targets(plan, management)
        for target in targets:
            session = account_owner_session(target.account_id, target.region)
            ssm = session.client("ssm")
            for name, value in data.get("parameters", {}).items():
                ssm.put_parameter(Name=name, Value=str(value), Type="String", Overwrite=True)
            secretsmanager = session.client("secretsmanager")
            for name, keys in data.get("secrets", {}).items():
                value = json.dumps({key: secrets.token_urlsafe(24) for key in keys})
                with contextlib.suppress(secretsmanager.exceptions.ResourceExistsException):
                    secretsmanager.create_secret(Name=name, SecretString=value)
            print(f"seeded {target.label}")


if __name__ == "__main__":
    seed(Path(sys.argv[1]))
