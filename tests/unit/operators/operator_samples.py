"""A prod target of the hello app, as the operator tests need it (no AWS behind it)."""

from __future__ import annotations

from flightdeck.plan import ParameterSource, Target

PROD_LABEL = "prod/333333333333/eu-west-1"


def prod_target(*parameters: ParameterSource) -> Target:
    """The hello app's prod target in eu-west-1, with ``parameters`` (LogLevel=INFO when none)."""
    return Target(
        environment="prod",
        account_id="333333333333",
        region="eu-west-1",
        stack_name="hello-prod",
        deploy_role_arn="arn:aws:iam::333333333333:role/flightdeck-deploy",
        execution_role_arn="arn:aws:iam::333333333333:role/flightdeck-cfn-exec",
        external_id="x",
        artifact_bucket="flightdeck-artifacts-333333333333-eu-west-1",
        parameters=parameters or (ParameterSource("LogLevel", "literal", "INFO"),),
        tags=(),
    )
