"""After a failed smoke test: deploy the target's last verified release again, and verify it.

A mixin of the smoke-test operator, so a rollback costs no task of its own (no task is started for the targets
that never got that far) and shows in the smoke test's log; its CloudFormation waits are deferred like the others.
"""

from __future__ import annotations

from typing import Any, NoReturn

from airflow.sdk import Context

from flightdeck import naming
from flightdeck.aws.cloudformation import delete_stack, describe_stack, start_execution
from flightdeck.aws.releases import ReleaseRecord, read_release_record
from flightdeck.aws.session import AccountSession
from flightdeck.aws.stack_options import apply_stack_options
from flightdeck.errors import DeploymentError, FlightdeckError
from flightdeck.operators.base import TargetOperator, fail_fast, trigger_failure
from flightdeck.operators.recording import record_rollback
from flightdeck.operators.redeploy import start_recorded_release
from flightdeck.plan import RollbackRules, SmokeCheck
from flightdeck.smoke import failed_checks, placeholders_for, run_checks
from flightdeck.triggers import ChangeSetReadyTrigger, StackOperationTrigger

ROLLBACK_KEY = "rollback"  # XCom: what the target was rolled back to, or why it was not


class SmokeRollback(TargetOperator):
    """Roll a target whose smoke test failed back to its last verified release, then fail with both stories.

    The last verified release of the stack (recorded in the target's artifact bucket when its smoke tests passed:
    :mod:`flightdeck.aws.releases`) is deployed again through a change set of its own, with the same immutable
    template and code and each parameter at the version read then; the same smoke tests then verify it. The task
    fails either way (this release failed there); its error and the XCom ``rollback`` say what happened. A stack
    this release created has nothing to return to: it is left for the operator, or deleted if the manifest says so.
    No approval is asked: it returns to a release that was approved and verified before.

    Subclasses set ``application``, ``capabilities``, ``rollback_rules``, ``checks`` and ``poll_seconds``.
    """

    application: str
    capabilities: list[str]
    rollback_rules: RollbackRules
    checks: tuple[SmokeCheck, ...]
    poll_seconds: float = 5

    def roll_back(
        self, context: Context, session: AccountSession, change_set: dict[str, Any], failure: DeploymentError
    ) -> NoReturn:
        """Start rolling back after ``failure``; always raises (maybe after deferring until the rollback is over)."""
        target = self.target
        if not self.rollback_rules.on_smoke_failure:
            self._conclude(context, failure, None, "automatic rollback is off for this environment")
        if change_set.get("change_set_type") == "CREATE":
            self._created_by_this_release(context, session, failure)
        record = read_release_record(session, target.artifact_bucket, self.application, target.stack_name)
        if record is None:
            self._conclude(
                context,
                failure,
                None,
                f"no verified release of {target.stack_name} is recorded to roll back to; the stack runs the new "
                "version: release a known-good version to it",
            )
        if record.version == context["params"]["version"]:
            self._conclude(
                context,
                failure,
                None,
                f"the last verified release is this same version {record.version}: rolling back would change "
                "nothing; find out what changed around the stack",
            )
        self.log.warning("%s: rolling back to %s (run %s)", target.label, record.version, record.run_id)
        started = start_recorded_release(
            session,
            target,
            record,
            change_set_name=naming.rollback_change_set_name(context["run_id"], target.label),
            description=f"{self.application} rollback to {record.version} ({context['run_id']})",
            capabilities=self.capabilities,
            options=self.stack_options,
        )
        trigger = ChangeSetReadyTrigger(
            stack_name=target.stack_name,
            change_set_id=started.id,
            **self.trigger_arguments(context),
            waiter_delay=self.poll_seconds,
        )
        kwargs = {"record": record.to_dict(), "failure": str(failure)}
        event = trigger.poll(session)
        if event is None:
            self.defer(trigger=trigger, method_name="rollback_change_set_ready", kwargs=kwargs)
        self.rollback_change_set_ready(context, event, **kwargs)

    @fail_fast
    def rollback_change_set_ready(
        self, context: Context, event: dict[str, Any], record: dict[str, Any], failure: str
    ) -> NoReturn:
        """The rollback change set is made: execute it (unless empty: the stack runs that release already)."""
        target = self.target
        session = self.target_session(context)
        if event["outcome"] == "empty":
            self.log.info("%s: the stack already matches %s", target.label, record["version"])
            self._verify(context, session, record, failure)
        if event["outcome"] != "ready":
            raise trigger_failure(target, event, f"{failure}. Rolling back: the change set is not ready")
        start_execution(session, stack_name=target.stack_name, change_set_id=event["change_set_id"])
        trigger = StackOperationTrigger(
            stack_name=target.stack_name,
            change_set_id=event["change_set_id"],
            **self.trigger_arguments(context),
            waiter_delay=self.poll_seconds,
        )
        kwargs = {"record": record, "failure": failure}
        finished = trigger.poll(session)
        if finished is None:
            self.defer(trigger=trigger, method_name="rolled_back", kwargs=kwargs)
        self.rolled_back(context, finished, **kwargs)

    @fail_fast
    def rolled_back(self, context: Context, event: dict[str, Any], record: dict[str, Any], failure: str) -> NoReturn:
        """The rollback's stack operation is over: verify it with the smoke tests."""
        target = self.target
        if event["outcome"] != "complete":
            raise trigger_failure(
                target, event, f"{failure}. Rolling back to {record['version']} failed too: the stack needs care"
            )
        session = self.target_session(context)
        apply_stack_options(session, stack_name=target.stack_name, options=self.stack_options)
        self._verify(context, session, record, failure)

    def _verify(self, context: Context, session: AccountSession, record: dict[str, Any], failure: str) -> NoReturn:
        release = ReleaseRecord.from_dict(record)
        stack = describe_stack(session, self.target.stack_name)
        results = run_checks(
            session, stack.outputs if stack else {}, self.checks, placeholders_for(self.target, release.version)
        )
        problems = failed_checks(results)
        if problems:
            self._conclude(
                context, failure, release, f"rolled back to {release.version}, but its smoke tests fail too: {problems}"
            )
        self._conclude(
            context,
            failure,
            release,
            f"rolled back to {release.version} (deployed by run {release.run_id}) and verified: "
            f"{len(results)} smoke check(s) passed",
            verified=True,
        )

    def _created_by_this_release(self, context: Context, session: AccountSession, failure: DeploymentError) -> NoReturn:
        target = self.target
        if not self.rollback_rules.delete_created_stacks:
            self._conclude(
                context,
                failure,
                None,
                f"{target.stack_name} was created by this release, so there is no earlier release to return to; it "
                "is left as it is for you to inspect: fix and release again, or delete the stack "
                "(rollback.delete_created_stacks: true has Flightdeck delete it)",
            )
        delete_stack(session, target.stack_name)
        self._conclude(context, failure, None, f"deleted {target.stack_name}, which this release created")

    def _conclude(
        self,
        context: Context,
        failure: DeploymentError | str,
        release: ReleaseRecord | None,
        outcome: str,
        *,
        verified: bool = False,
    ) -> NoReturn:
        """Record what the rollback did (XCom ``rollback``) and fail the task with the smoke failure and that."""
        context["ti"].xcom_push(
            key=ROLLBACK_KEY,
            value={
                "rolled_back_to": release.version if release else None,
                "run_id": release.run_id if release else None,
                "verified": verified,
                "outcome": outcome,
            },
        )
        message = f"{failure}. Rollback: {outcome}"
        (self.log.warning if verified else self.log.error)("%s: %s", self.target.label, message)
        record_rollback(
            context,
            self.target,
            self.application,
            rolled_back_to=release.version if release else None,
            verified=verified,
            message=message,
        )
        raise FlightdeckError(message)
