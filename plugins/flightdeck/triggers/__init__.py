"""Deferrable waits for CloudFormation: triggers that poll from the triggerer, holding no worker slot."""

from __future__ import annotations

from flightdeck.triggers.base import CloudFormationTrigger, EventOutcome
from flightdeck.triggers.change_set import ChangeSetReadyTrigger
from flightdeck.triggers.drift import DriftDetectionTrigger
from flightdeck.triggers.stack import StackOperationTrigger

__all__ = [
    "ChangeSetReadyTrigger",
    "CloudFormationTrigger",
    "DriftDetectionTrigger",
    "EventOutcome",
    "StackOperationTrigger",
]
