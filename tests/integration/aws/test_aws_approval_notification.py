"""A gate that waits for a person tells the manifest's SNS topics: the summary of every target and the link."""

from __future__ import annotations

import json

import pytest
from aws_helpers import admin_session

from flightdeck.operators.approval import ReleaseGateOperator
from flightdeck.plan import Approval, TargetCatalog

pytestmark = pytest.mark.integration

ORCHESTRATOR = "123456789012"  # the account of the default credentials
REGION = "eu-west-1"


def test_approval_request_is_published(local_aws: str) -> None:
    session = admin_session(ORCHESTRATOR, REGION)
    sns, sqs = session.client("sns"), session.client("sqs")
    topic = sns.create_topic(Name="releases")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

    rules = Approval(required=True, approvers=("approver",), timeout_seconds=None, notify=(topic,))
    gate = ReleaseGateOperator(
        task_id="approve",
        environment="prod",
        application="hello",
        approval=rules,
        change_set_task_id="prod.prepare.create_change_set",
        targets=TargetCatalog("prod", []),
        aws_conn_id=None,
    )
    change_set = {
        "label": "prod/333333333333/eu-west-1",
        "review": {
            "summary": {
                "resources": [
                    {
                        "action": "Modify",
                        "logical_id": "Function",
                        "resource_type": "AWS::Lambda::Function",
                        "replacement": "False",
                    }
                ]
            }
        },
    }
    context = {
        "params": {"version": "2.0.0"},
        "dag": type("Dag", (), {"dag_id": "release__hello"})(),
        "run_id": "manual__1",
    }
    notifier = gate._notifier(topic, [change_set], context)
    notifier.notify(context)

    [message] = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"]
    body = json.loads(message["Body"])
    assert body["Subject"] == "Release hello to prod"
    lines = body["Message"].splitlines()
    assert lines[0] == "Release hello to prod: approval requested for version 2.0.0."
    assert lines[2] == "prod/333333333333/eu-west-1: +0 ~1 -0"
    assert lines[-1].startswith("Review and answer: ")
    assert lines[-1].endswith("/dags/release__hello/runs/manual__1")
