"""The calls of a remediation apply, made through a client factory: one AWS call whose error
becomes ``StepFailed``, a read that tells "not there" from "cannot read", and a step's check.

"Cannot tell" is never "not done": only the error codes a check or guard names as absent read
as nothing there; any other error fails the step.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Protocol

import jmespath  # type: ignore[import-untyped]  # botocore ships it without stubs
from botocore import xform_name
from botocore.exceptions import BotoCoreError, ClientError

from orgscan.redaction import redact
from orgscan.remediation.plan_model import Check


class ClientFactory(Protocol):
    """Anything that hands out a boto3 client acting as an account in a region."""

    def client(self, account_id: str, service: str, region: str) -> Any:
        """A client for ``service`` acting as ``account_id`` in ``region``."""
        ...


class StepFailed(Exception):
    """A step that could not be done: the AWS error code (or orgscan's own) and a message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


#: The error code of a step stopped by its guard or a precondition (not an AWS code).
STOPPED = "StoppedByGuard"


def call(client: Any, operation: str, parameters: Any) -> Any:
    """``operation`` called with ``parameters``; any failure raised as ``StepFailed``."""
    try:
        return getattr(client, xform_name(operation))(**dict(parameters))
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise StepFailed(
            str(error.get("Code", "Unknown")), redact(str(error.get("Message", exc)))
        ) from None
    except BotoCoreError as exc:
        raise StepFailed(type(exc).__name__, redact(str(exc))) from None


def read_state(
    client: Any, operation: str, parameters: Mapping[str, Any], absent_codes: Collection[str]
) -> Any:
    """The response of a read-only call, or None when its error says "nothing there";
    any other error means the current state cannot be read."""
    try:
        return call(client, operation, parameters)
    except StepFailed as exc:
        if exc.code in absent_codes:
            return None
        raise StepFailed(
            exc.code,
            f"cannot read the current state ({operation} on "
            f"{parameters.get('Bucket', parameters.get('Name'))}): "
            f"{exc.message}",
        ) from None


def check_holds(client: Any, check: Check) -> bool:
    """True when ``check`` reads that its step is already done."""
    # "Not found" and friends (absent_codes): not done yet (False). Any other error stops
    # the step. A step's check holding means the step is done.
    try:
        response = read_state(client, check.operation, check.parameters, check.absent_codes)
    except StepFailed as exc:
        if exc.code in check.done_codes:  # nothing left to change
            return True
        raise
    if response is None:
        return False
    return check.condition is None or jmespath.search(check.condition, response) is True
