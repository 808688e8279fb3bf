"""Execute the target's change set and wait for the stack."""

from __future__ import annotations

from typing import Any

from airflow.sdk import Context
from airflow.sdk.exceptions import AirflowSkipException

from flightdeck.aws.cloudformation import execute_change_set
from flightdeck.aws.stack_options import apply_stack_options
from flightdeck.operators.base import TargetOperator


class ExecuteChangeSetOperator(TargetOperator):
    """Execute the change set the prepare step created for this target; an empty one is skipped.

    :param change_set_task_id: the task whose XCom describes this target's change set.
    """

    ui_color = "#e8fbe9"

    def __init__(self, *, change_set_task_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.change_set_task_id = change_set_task_id

    def execute(self, context: Context) -> dict[str, Any]:
        change_set = self.pull_own_index(context, self.change_set_task_id)
        target = self.target
        session = self.target_session(context)
        if change_set["is_empty"]:
            # Protection and stack policy are not part of a change set: apply them even when nothing changed.
            apply_stack_options(session, stack_name=target.stack_name, options=self.stack_options)
            raise AirflowSkipException(f"{target.label}: no changes to {target.stack_name}; nothing to execute.")
        stack = execute_change_set(session, stack_name=target.stack_name, change_set_id=change_set["id"])
        apply_stack_options(session, stack_name=target.stack_name, options=self.stack_options)
        self.log.info("%s: stack %s is %s", target.label, stack.name, stack.status)
        return {"status": stack.status, "outputs": stack.outputs}
