"""Raw facts read from AWS, one function per kind of fact; failures come back as values."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from orgscan.aws.redaction import redact


def error_code_of(exc: ClientError | BotoCoreError) -> tuple[str, str]:
    """The AWS error code and message of a failed call (botocore's class name when no code)."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or exc.response.get("ResponseMetadata", {})
                   .get("HTTPStatusCode", "Unknown"))
        return code, redact(str(error.get("Message") or exc))
    return type(exc).__name__, redact(str(exc))
