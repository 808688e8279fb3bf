"""``flightdeck status`` against the local AWS: the ledger next to the live stacks, differences reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_helpers import DEV, REGION, HelloTarget, admin_session

from flightdeck.cli import main
from flightdeck.ledger import Ledger, Outcome

pytestmark = pytest.mark.integration

MANIFEST = Path(__file__).resolve().parents[3] / "include" / "manifests" / "hello.yaml"
TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        "Marker": {
            "Type": "AWS::SSM::Parameter",
            "Properties": {"Name": "/status-test/marker", "Type": "String", "Value": "x"},
        }
    },
}


def _deployed(version: str, run_id: str) -> None:
    """hello-dev as a release of ``version`` by ``run_id`` left it (its tags), made by the account's admin."""
    admin_session(DEV).client("cloudformation").create_stack(
        StackName="hello-dev",
        TemplateBody=json.dumps(TEMPLATE),
        Tags=[{"Key": "flightdeck:version", "Value": version}, {"Key": "flightdeck:run-id", "Value": run_id}],
    )


def _record(ledger: Ledger, version: str, run_id: str, outcome: Outcome = Outcome.SUCCEEDED) -> None:
    attempt = ledger.start_attempt(
        application="hello",
        environment="dev",
        account_id=DEV,
        region=REGION,
        stack_name="hello-dev",
        version=version,
        dag_id="release__hello",
        run_id=run_id,
    )
    ledger.finish_attempt(attempt, outcome)


@pytest.fixture
def ledger_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with Ledger(url) as ledger:
        ledger.upgrade()
    return url


def _status(tmp_path: Path, ledger_url: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict]]:
    manifests = tmp_path / "manifests"
    manifests.mkdir(exist_ok=True)
    data = MANIFEST.read_text().replace("../apps/", f"{MANIFEST.parent.parent}/apps/")
    (manifests / "hello.yaml").write_text(data)
    capsys.readouterr()
    code = main(["status", "--manifests", str(manifests), "-e", "dev", "--ledger", ledger_url, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_a_stack_that_runs_what_the_ledger_says_is_in_sync(
    hello: HelloTarget, tmp_path: Path, ledger_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _deployed("1.0.0", "manual__1")
    with Ledger(ledger_url) as ledger:
        _record(ledger, "1.0.0", "manual__1")
        _record(ledger, "1.0.0", "manual__2")  # released again: the stack keeps the first run's tag

    code, [status] = _status(tmp_path, ledger_url, capsys)

    assert code == 0
    assert (status["ledger_version"], status["stack_version"], status["stack_status"]) == (
        "1.0.0",
        "1.0.0",
        "CREATE_COMPLETE",
    )
    assert status["in_sync"] is True


def test_a_stack_that_differs_from_the_ledger_is_reported(
    hello: HelloTarget, tmp_path: Path, ledger_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _deployed("1.0.0", "manual__1")
    with Ledger(ledger_url) as ledger:
        _record(ledger, "1.0.0", "manual__1")
        _record(ledger, "2.0.0", "manual__2")

    code, [status] = _status(tmp_path, ledger_url, capsys)

    assert code == 1
    assert status["problems"] == ["the stack runs 1.0.0, the ledger's last successful deployment is 2.0.0"]


def test_a_recorded_deployment_without_a_stack_is_reported(
    hello: HelloTarget, tmp_path: Path, ledger_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with Ledger(ledger_url) as ledger:
        _record(ledger, "1.0.0", "manual__1")

    code, [status] = _status(tmp_path, ledger_url, capsys)

    assert code == 1
    assert status["problems"] == ["the ledger says 1.0.0 is deployed, but there is no stack"]


def test_the_table_names_each_target_and_what_differs(
    hello: HelloTarget, tmp_path: Path, ledger_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _deployed("1.0.0", "manual__7")
    with Ledger(ledger_url) as ledger:
        _record(ledger, "1.0.0", "manual__1")
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "hello.yaml").write_text(MANIFEST.read_text().replace("../apps/", f"{MANIFEST.parent.parent}/apps/"))

    capsys.readouterr()
    code = main(["status", "--manifests", str(manifests), "-e", "dev", "--ledger", ledger_url])

    out = capsys.readouterr().out
    assert code == 1
    assert "dev/111111111111/eu-west-1" in out
    assert "DIFFERS: the stack was deployed by run manual__7, which the ledger does not record as a success" in out
    assert "1 target(s), 1 differ from the ledger." in out
