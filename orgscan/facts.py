"""What the scan reads from AWS, as values: an account of the organization, a trail, the lock
facts of a bucket, and a call that failed (``AwsError``).

The scan's units return these (a failure is an ``AwsError``, never an exception that escapes);
the rule and the ledger turn them into findings (``model``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from orgscan.model import LockMode, Versioning
from orgscan.redaction import redact

if TYPE_CHECKING:  # botocore is not loaded for a command that only prints help
    from botocore.exceptions import BotoCoreError, ClientError


@dataclass(frozen=True)
class Account:
    """An account of the organization as Organizations describes it."""

    account_id: str
    name: str | None
    ou_path: str | None
    state: str


@dataclass(frozen=True)
class Trail:
    """A CloudTrail trail, identified by its ARN; the owner is the account in the ARN."""

    trail_arn: str
    trail_name: str
    account_id: str
    home_region: str
    is_organization_trail: bool
    is_multi_region: bool
    bucket_name: str
    s3_key_prefix: str | None = None
    kms_key_id: str | None = None
    #: ``IncludeGlobalServiceEvents`` and ``LogFileValidationEnabled``; None when not said.
    include_global_service_events: bool | None = None
    log_file_validation: bool | None = None

    def records_activity_in(self, region: str) -> bool:
        """True when the trail logs events of ``region`` (its home, or everywhere)."""
        return self.is_multi_region or self.home_region == region


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
        # A ClientError carries AWS's answer; read by shape so this module needs no botocore.
        response = getattr(exc, "response", None)
        if isinstance(response, dict):
            error = response.get("Error", {})
            code = str(
                error.get("Code")
                or response.get("ResponseMetadata", {}).get("HTTPStatusCode", "Unknown")
            )
            return cls(code, redact(str(error.get("Message") or exc)))
        return cls(type(exc).__name__, redact(str(exc)))


@dataclass(frozen=True)
class BucketFacts:
    """What could be read about one S3 bucket.

    ``error`` is set when the bucket could not be read; the lock fields are then None.
    ``object_lock_enabled`` is False for ``ObjectLockConfigurationNotFoundError``.
    ``versioning_error`` is set when only the versioning read failed: the lock verdict stands
    and ``versioning`` is None. ``outside_organization`` is True when the bucket exists and
    every ACTIVE account of the organization listed its buckets without finding it.
    """

    bucket_name: str
    bucket_account_id: str | None
    bucket_region: str | None
    object_lock_enabled: bool | None
    lock_mode: LockMode | None
    retention_days: int | None
    versioning: Versioning | None
    error: AwsError | None = None
    versioning_error: AwsError | None = None
    outside_organization: bool = False

    @property
    def error_code(self) -> str | None:
        """The code of the error that kept the bucket unread, or None when it was read."""
        return self.error.code if self.error is not None else None

    @classmethod
    def unreadable(
        cls,
        bucket_name: str,
        bucket_account_id: str | None,
        bucket_region: str | None,
        error: AwsError,
    ) -> BucketFacts:
        """A bucket that could not be read: what is known of where it is, and why not."""
        return cls(
            bucket_name,
            bucket_account_id,
            bucket_region,
            object_lock_enabled=None,
            lock_mode=None,
            retention_days=None,
            versioning=None,
            error=error,
        )
