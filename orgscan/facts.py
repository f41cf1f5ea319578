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


@dataclass(frozen=True, slots=True)
class Account:
    """An account of the organization as Organizations describes it."""

    account_id: str
    name: str | None
    ou_path: str | None
    state: str


#: Where CloudTrail writes under a trail's ``S3KeyPrefix`` (or the bucket's root).
LOGS_FOLDER = "AWSLogs/"


def logs_prefix(s3_key_prefix: str | None) -> str:
    """The folder of a trail's log files: ``<S3KeyPrefix>/AWSLogs/``."""
    prefix = (s3_key_prefix or "").strip("/")
    return f"{prefix}/{LOGS_FOLDER}" if prefix else LOGS_FOLDER


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
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
    #: ``GetBucketVersioning``'s ``MFADelete`` (reported, never judged); None when unread.
    mfa_delete: bool | None = None
    #: The bucket's lifecycle and public access (contract 5.2); None when not read.
    integrity: BucketIntegrity | None = None

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


#: The four settings of S3 Block Public Access, as the API names them.
BLOCK_SETTINGS = frozenset(
    {"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"}
)


@dataclass(frozen=True, slots=True)
class LifecycleRule:
    """An enabled lifecycle rule that expires objects, as far as the integrity check needs it.

    ``prefix`` is the key prefix it filters on ("" for the whole bucket); ``tagged`` is True
    when it also needs object tags (CloudTrail tags no log file, so such a rule reaches none).
    ``days`` is the shortest of its current and noncurrent expirations.
    """

    prefix: str
    tagged: bool
    days: int

    def reaches(self, logs: str) -> bool:
        """True when the rule acts on log files under ``logs`` (a trail's ``logs_prefix``)."""
        # A rule on a shorter prefix covers every log file; one on a longer prefix some.
        return not self.tagged and (logs.startswith(self.prefix) or self.prefix.startswith(logs))


@dataclass(frozen=True, slots=True)
class BucketIntegrity:
    """What a bucket's owner read of its lifecycle rules, policy status and public access block.

    A value is None when its call failed (the ``AwsError`` beside it says why); "not configured"
    answers (no lifecycle, no policy, no block) are read values: no rules, not public, no
    setting on.
    """

    lifecycle: tuple[LifecycleRule, ...] | None
    is_public: bool | None
    #: The Block Public Access settings turned on for the bucket.
    blocked: frozenset[str] | None
    lifecycle_error: AwsError | None = None
    policy_status_error: AwsError | None = None
    block_error: AwsError | None = None


@dataclass(frozen=True, slots=True)
class KeyFacts:
    """A trail's KMS key as ``DescribeKey`` and ``GetKeyRotationStatus`` gave it."""

    key_arn: str
    state: str | None
    rotation: bool | None
    error: AwsError | None = None
    rotation_error: AwsError | None = None


@dataclass(frozen=True, slots=True)
class AccountBlock:
    """An account's Block Public Access settings (``s3control GetPublicAccessBlock``)."""

    account_id: str
    blocked: frozenset[str] | None
    error: AwsError | None = None
