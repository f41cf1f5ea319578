"""The domain model: frozen dataclasses and enums shared by scanner, reports and remediation.

Everything here is plain data. "Could not evaluate" is a value (``Status.ERROR`` findings,
``ScanError`` rows), never an exception that escapes the scan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from orgscan.prelock_count import DEFAULT_SAMPLE_SIZE, Prelock
from orgscan.status import Status as Status
from orgscan.weakeners import Weakener


class ReasonCode(StrEnum):
    """Why a finding has its status (contract section 3)."""

    COMPLIANT = "COMPLIANT"
    LOCK_NOT_CONFIGURED = "LOCK_NOT_CONFIGURED"
    NO_DEFAULT_RETENTION = "NO_DEFAULT_RETENTION"
    MODE_NOT_ALLOWED = "MODE_NOT_ALLOWED"
    RETENTION_TOO_SHORT = "RETENTION_TOO_SHORT"
    BUCKET_MISSING = "BUCKET_MISSING"
    BUCKET_OUTSIDE_ORGANIZATION = "BUCKET_OUTSIDE_ORGANIZATION"
    ACCESS_DENIED = "ACCESS_DENIED"
    API_ERROR = "API_ERROR"


#: The status each reason code carries; the contract fixes this mapping. The one exception:
#: ``NO_DEFAULT_RETENTION`` is FAIL under the default policy and WARN (listed here) only under
#: ``require_default_retention = false`` -- ``rule.reason_status`` knows the policy.
REASON_STATUS: dict[ReasonCode, Status] = {
    ReasonCode.COMPLIANT: Status.PASS,
    ReasonCode.LOCK_NOT_CONFIGURED: Status.FAIL,
    ReasonCode.NO_DEFAULT_RETENTION: Status.WARN,
    ReasonCode.MODE_NOT_ALLOWED: Status.FAIL,
    ReasonCode.RETENTION_TOO_SHORT: Status.FAIL,
    ReasonCode.BUCKET_MISSING: Status.FAIL,
    ReasonCode.BUCKET_OUTSIDE_ORGANIZATION: Status.FAIL,
    ReasonCode.ACCESS_DENIED: Status.ERROR,
    ReasonCode.API_ERROR: Status.ERROR,
}


class LockMode(StrEnum):
    """S3 Object Lock default retention modes."""

    GOVERNANCE = "GOVERNANCE"
    COMPLIANCE = "COMPLIANCE"

    @property
    def strength(self) -> int:
        """GOVERNANCE 1 < COMPLIANCE 2: nobody, root included, can shorten a COMPLIANCE
        retention, while GOVERNANCE yields to a permission."""
        return 2 if self is LockMode.COMPLIANCE else 1


class RequiredMode(StrEnum):
    """The weakest default retention mode the policy accepts."""

    ANY = "ANY"
    GOVERNANCE = "GOVERNANCE"
    COMPLIANCE = "COMPLIANCE"

    @property
    def strength(self) -> int:
        """The least ``LockMode.strength`` the policy accepts; 0 for ANY (no mode needed)."""
        return 0 if self is RequiredMode.ANY else LockMode(self.value).strength


class AccountState(StrEnum):
    """An account's state as AWS Organizations names it, and orgscan's UNKNOWN.

    ``Account.state`` stays the text Organizations gave (a state added later is kept as it is);
    compare it with these.
    """

    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    PENDING_ACTIVATION = "PENDING_ACTIVATION"
    PENDING_CLOSURE = "PENDING_CLOSURE"
    CLOSED = "CLOSED"
    #: The reply named no state: the account is tried rather than skipped.
    UNKNOWN = "UNKNOWN"


class Versioning(StrEnum):
    """Bucket versioning state; ``Off`` for a bucket that was never versioned."""

    ENABLED = "Enabled"
    SUSPENDED = "Suspended"
    OFF = "Off"


class ManagementEvents(StrEnum):
    """What a trail's event selectors record of management events (contract v2; ``Partial``
    v3: reads and writes, but some event sources excluded)."""

    ALL = "All"
    PARTIAL = "Partial"
    READ_ONLY = "ReadOnly"
    WRITE_ONLY = "WriteOnly"
    NONE = "None"


class AccountVerdictCode(StrEnum):
    """Why an account has its verdict; the last three also name a region's gap (contract v2)."""

    PROTECTED = "PROTECTED"
    NOT_RECORDED = "NOT_RECORDED"
    UNPROTECTED = "UNPROTECTED"
    UNKNOWN = "UNKNOWN"


class GapWhy(StrEnum):
    """What is missing in an unprotected region, so that reports and plans can say what to
    change (contract v3, ``accounts[].gaps[].why``)."""

    NO_TRAIL = "NO_TRAIL"
    NOT_LOGGING = "NOT_LOGGING"
    MANAGEMENT_EVENTS = "MANAGEMENT_EVENTS"
    EXCLUDED_SOURCES = "EXCLUDED_SOURCES"
    NOT_DELIVERING = "NOT_DELIVERING"
    NO_GLOBAL_EVENTS = "NO_GLOBAL_EVENTS"
    BUCKET = "BUCKET"
    UNREADABLE = "UNREADABLE"


class ErrorStage(StrEnum):
    """Where in the scan an error row was recorded."""

    ASSUME_ROLE = "assume_role"
    REGIONS = "regions"
    TRAILS = "trails"
    BUCKET = "bucket"


#: S3 Object Lock's own limit on a default retention: 100 years.
MAX_RETENTION_DAYS = 36500
#: The longest delivery age a policy may accept: a year of hours.
MAX_DELIVERY_AGE_HOURS = 8760


@dataclass(frozen=True)
class Policy:
    """What a compliant CloudTrail bucket must have."""

    require_default_retention: bool = True
    require_mode: RequiredMode = RequiredMode.ANY
    min_retention_days: int | None = None
    #: A trail whose last delivery error is set and whose last delivery is older than this
    #: (before the scan started) is not delivering (contract v3).
    max_delivery_age_hours: int = 24
    #: Whether PASS buckets are checked for log files written before the lock (contract 5.4),
    #: and how many object versions a sample reads; recorded so the check can be replayed.
    prelock: bool = True
    prelock_sample_size: int = DEFAULT_SAMPLE_SIZE
    #: A trail without log file validation fails its LOG_FILE_VALIDATION check (else warns).
    require_log_file_validation: bool = False

    def to_dict(self) -> dict[str, object]:
        """The policy as it is recorded in ``findings.json`` (``run.policy``)."""
        return {
            "require_default_retention": self.require_default_retention,
            "require_mode": self.require_mode.value,
            "min_retention_days": self.min_retention_days,
            "max_delivery_age_hours": self.max_delivery_age_hours,
            "prelock": self.prelock,
            "prelock_sample_size": self.prelock_sample_size,
            "require_log_file_validation": self.require_log_file_validation,
        }


class IntegrityCode(StrEnum):
    """The integrity checks beside the lock (contract 5.2), in the order findings list them."""

    DELIVERY = "DELIVERY"
    LOG_FILE_VALIDATION = "LOG_FILE_VALIDATION"
    KMS_KEY = "KMS_KEY"
    LIFECYCLE = "LIFECYCLE"
    PUBLIC_ACCESS = "PUBLIC_ACCESS"
    PRELOCK = "PRELOCK"


@dataclass(frozen=True, slots=True)
class IntegrityCheck:
    """One entry of a finding's ``integrity``: a check, its status and one sentence."""

    check: IntegrityCode
    status: Status
    detail: str

    def to_dict(self) -> dict[str, str]:
        """The entry as ``findings.json`` writes it."""
        return {"check": self.check.value, "status": self.status.value, "detail": self.detail}


def prelock_check(count: Prelock) -> IntegrityCheck:
    """The ``PRELOCK`` entry a pre-lock count makes (contract 5.2)."""
    return IntegrityCheck(IntegrityCode.PRELOCK, Status(count.verdict), count.sentence())


@dataclass(frozen=True, slots=True)
class AccountGap:
    """A scanned region of an account that no trail protects, and why (``accounts[].gaps``)."""

    region: str
    code: AccountVerdictCode
    #: What is missing there (None in runs from before contract v3).
    why: GapWhy | None = None


@dataclass(frozen=True, slots=True)
class AccountCoverage:
    """One ``accounts[]`` row: an account, whether (and how far) it was scanned, its verdict.

    ``verdict`` and ``verdict_code`` are None for an account that was not scanned.
    """

    account_id: str
    name: str | None
    ou_path: str | None
    state: str
    scanned: bool
    regions_scanned: int
    error_code: str | None
    verdict: Status | None = None
    verdict_code: AccountVerdictCode | None = None
    protected_by: tuple[str, ...] = ()
    gaps: tuple[AccountGap, ...] = ()


@dataclass(frozen=True, slots=True)
class Verdict:
    """The rule's judgement of one bucket under a policy."""

    status: Status
    reason_code: ReasonCode
    reason: str


@dataclass(frozen=True, slots=True)
class ExceptionMark:
    """An accepted exception from the register, recorded on the finding it matched.

    The finding keeps its real status; ``expired`` is True when ``expires`` (the last day the
    exception applies) was before the scan's date, and the exception then no longer applies.
    """

    owner: str
    reason: str
    expires: date
    expired: bool

    def to_dict(self) -> dict[str, object]:
        """The mark as it is recorded in ``findings.json`` (``findings[].exception``)."""
        return {
            "owner": self.owner,
            "reason": self.reason,
            "expires": self.expires.isoformat(),
            "expired": self.expired,
        }


@dataclass(frozen=True, slots=True)
class Finding:
    """One row of ``findings[]``: a unique trail and the verdict on its bucket (contract order)."""

    account_id: str
    trail_name: str
    trail_arn: str
    home_region: str
    is_organization_trail: bool
    is_multi_region: bool
    bucket_name: str
    bucket_account_id: str | None
    bucket_region: str | None
    object_lock_enabled: bool | None
    lock_mode: LockMode | None
    retention_days: int | None
    versioning: Versioning | None
    status: Status
    reason_code: ReasonCode
    reason: str
    is_logging: bool | None = None
    latest_delivery_error: str | None = None
    management_events: ManagementEvents | None = None
    global_service_events: bool | None = None
    latest_delivery_time: str | None = None
    delivering: bool | None = None
    log_file_validation: bool | None = None
    kms_key_arn: str | None = None
    #: Integrity beside the lock (contract 5.2): the facts, then one entry per check.
    mfa_delete: bool | None = None
    kms_key_state: str | None = None
    kms_key_rotation: bool | None = None
    lifecycle_expiration_days: int | None = None
    public_access_blocked: bool | None = None
    integrity: tuple[IntegrityCheck, ...] = ()
    exception: ExceptionMark | None = None
    #: Who can weaken the trail's protection (contract 5.3); None when not assessed.
    tamper_status: Status | None = None
    tamper_reason: str | None = None
    #: Log files written before the lock (contract 5.4); None unless PASS and measured.
    prelock: Prelock | None = None
    #: The trail's ``S3KeyPrefix``: where its log files are. Not part of findings.json (the
    #: prefixes checked are, in ``prelock``); set by the scan, None when read from a file.
    s3_key_prefix: str | None = None


@dataclass(frozen=True, slots=True)
class ScanError:
    """One ``errors[]`` row: a unit of work that could not be done."""

    account_id: str
    region: str | None
    stage: ErrorStage
    error_code: str
    message: str


@dataclass(frozen=True)
class RunScope:
    """What the run was asked to scan (``run.scope``): the evidence's stated boundary."""

    role_name: str
    accounts: tuple[str, ...] | None
    exclude_accounts: tuple[str, ...]
    ous: tuple[str, ...]
    regions: tuple[str, ...] | None
    org: bool

    def to_dict(self) -> dict[str, object]:
        """The scope as it is recorded in ``findings.json``."""
        return {
            "role_name": self.role_name,
            "accounts": list(self.accounts) if self.accounts is not None else None,
            "exclude_accounts": list(self.exclude_accounts),
            "ous": list(self.ous),
            "regions": list(self.regions) if self.regions is not None else None,
            "org": self.org,
        }


class RunKind(StrEnum):
    """A full scan, or an incremental run: a base run with some accounts rescanned (watch)."""

    FULL = "full"
    INCREMENTAL = "incremental"


@dataclass(frozen=True)
class RunInfo:
    """The ``run`` object of ``findings.json``. An incremental run names the run it updates
    in ``based_on`` (its run id): the accounts it did not rescan are that run's."""

    started_at: str
    finished_at: str
    tool_version: str
    caller_arn: str
    organization_id: str | None
    policy: Policy
    regions: tuple[str, ...]
    complete: bool
    run_id: str = ""
    scope: RunScope | None = None
    command: tuple[str, ...] = ()
    host: str = ""
    kind: RunKind = RunKind.FULL
    based_on: str | None = None
    #: The ``break_glass_principals`` the tamper paths were judged with (contract 5.3), so
    #: ``verify --recompute`` judges them alike; None when tamper paths were not assessed.
    break_glass_principals: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ScanResult:
    """Everything a scan produced; ``findings.json`` is its serialisation."""

    run: RunInfo
    accounts: tuple[AccountCoverage, ...] = ()
    findings: tuple[Finding, ...] = ()
    errors: tuple[ScanError, ...] = field(default=())
    #: ``weakeners[]`` (contract 5.3); None for a run that did not assess tamper paths.
    weakeners: tuple[Weakener, ...] | None = None
