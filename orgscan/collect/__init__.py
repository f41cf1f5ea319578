"""Raw facts read from AWS, one function per kind of fact; failures come back as values."""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from orgscan.aws.redaction import redact


@dataclass(frozen=True)
class AwsError:
    """A call that failed, as a value: the AWS error code and its (redacted) message.

    ``code`` is botocore's class name when AWS sent no code (a timeout, a broken connection).
    """

    code: str
    message: str

    @classmethod
    def of(cls, exc: ClientError | BotoCoreError) -> AwsError:
        """The code and message of a failed botocore call."""
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            code = str(
                error.get("Code")
                or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "Unknown")
            )
            return cls(code, redact(str(error.get("Message") or exc)))
        return cls(type(exc).__name__, redact(str(exc)))
