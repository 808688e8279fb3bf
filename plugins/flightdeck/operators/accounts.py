"""Select an environment's accounts from AWS Organizations when the release starts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator, Context

from flightdeck import naming
from flightdeck.aws.organizations import ORGANIZATIONS_REGION, select_accounts
from flightdeck.aws.session import assume_role
from flightdeck.errors import FlightdeckError
from flightdeck.operators.base import fail_fast
from flightdeck.plan import OrganizationsReader, TargetCatalog


class SelectAccountsOperator(BaseOperator):
    """List the accounts an environment's ``organizations`` entries select, through the management account's role.

    Returns the labels of the environment's last wave: its listed targets, then one per selected account and
    region (sorted by account id). The wave's mapped tasks expand over them, and preflight checks them all.
    An entry that selects no account fails the task: a release never silently deploys nowhere.

    :param environment: the environment's name.
    :param catalog: the environment's targets (listed by id) and its selectors.
    :param wave_labels: the listed targets of the wave the selected accounts join.
    :param organizations: the role that reads AWS Organizations.
    :param aws_conn_id: Airflow connection of the orchestrator.
    """

    ui_color = "#e8fbf7"

    def __init__(
        self,
        *,
        environment: str,
        catalog: TargetCatalog,
        wave_labels: Sequence[str],
        organizations: OrganizationsReader,
        aws_conn_id: str | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.environment = environment
        self.catalog = catalog
        self.wave_labels = list(wave_labels)
        self.organizations = organizations
        self.aws_conn_id = aws_conn_id

    @fail_fast
    def execute(self, context: Context) -> list[str]:
        reader = self.organizations
        session = assume_role(
            aws_conn_id=self.aws_conn_id,
            role_arn=reader.role_arn,
            region=ORGANIZATIONS_REGION,
            external_id=reader.external_id,
            session_name=naming.sts_session_name(context["dag"].dag_id, context["run_id"], reader.management_account),
            duration_seconds=reader.session_duration_seconds,
        )
        labels = list(self.wave_labels)
        for selector in self.catalog.selectors:
            accounts = select_accounts(
                session, ou_path=selector.ou_path, tags=dict(selector.tags), exclude=selector.exclude
            )
            if not accounts:
                raise FlightdeckError(
                    f"Environment {self.environment}: no active account of the organization is {selector.conditions}, "
                    "so nothing would be deployed there: fix the entry's ou_path or tags, or remove the entry"
                )
            self.log.info("Accounts %s: %s", selector.conditions, ", ".join(accounts))
            for account_id in accounts:
                for region in selector.regions:
                    label = naming.target_label(self.environment, account_id, region)
                    if label in self.catalog.listed:
                        self.log.info("%s is listed by id in the manifest: its own entry applies", label)
                    elif label not in labels:
                        labels.append(label)
        self.log.info("Environment %s deploys %d target(s) in its last wave", self.environment, len(labels))
        return labels
