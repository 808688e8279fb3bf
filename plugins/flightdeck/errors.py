"""The one error hierarchy of Flightdeck."""

from __future__ import annotations

from dataclasses import dataclass


class FlightdeckError(Exception):
    """Base class of every error Flightdeck raises on purpose."""


class TransientError(FlightdeckError):
    """A failure that may pass if the task runs again (AWS kept throttling, a wait timed out)."""


@dataclass(frozen=True)
class ManifestIssue:
    """One problem found in a manifest, pointing at the YAML node that caused it.

    :param file: path of the manifest (or template) file.
    :param line: 1-based line, 0 when unknown.
    :param column: 1-based column, 0 when unknown.
    :param field: dotted path of the field, e.g. ``environments[2].accounts[0].id``.
    :param message: what is wrong and how to fix it.
    """

    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ManifestError(FlightdeckError):
    """A manifest is invalid; carries every issue found, not just the first."""

    def __init__(self, issues: list[ManifestIssue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))


class PlanError(FlightdeckError):
    """A valid manifest cannot be turned into a release plan."""


class DeploymentError(FlightdeckError):
    """A deployment step failed in one target account and region.

    :param message: what failed.
    :param account: 12-digit account id of the target.
    :param region: AWS region of the target.
    :param stack: CloudFormation stack name.
    :param status: last stack or change-set status, when known.
    :param reason: AWS's reason for that status, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        account: str,
        region: str,
        stack: str = "",
        status: str = "",
        reason: str = "",
    ) -> None:
        self.account = account
        self.region = region
        self.stack = stack
        self.status = status
        self.reason = reason
        details = [f"account {account}", f"region {region}"]
        if stack:
            details.append(f"stack {stack}")
        if status:
            details.append(f"status {status}")
        text = f"{message} ({', '.join(details)})"
        if reason:
            text += f": {reason}"
        super().__init__(text)
