"""Integrity beside the lock (contract 5.2): is the trail delivering, are its files validated,
is its key usable, does a lifecycle rule delete logs early, is the bucket public, are log files
from before the lock unprotected?

Pure: a trail, its bucket's facts, its key and its bucket owner's Block Public Access, and the
policy -> the finding's integrity fields and one ``IntegrityCheck`` per check. Each check is
an entry of ``CHECKS`` and a function of a ``Subject``: adding a check is one entry and its
function. What could not be read is ERROR, never PASS. A finding's own ``status`` stays the
lock rule's; integrity counts for the exit code beside it (``cli/exitcodes.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from orgscan.error_codes import MISSING_BUCKET_CODES
from orgscan.facts import (
    BLOCK_SETTINGS,
    AccountBlock,
    BucketFacts,
    KeyFacts,
    Trail,
    logs_prefix,
)
from orgscan.jsondoc import typed_value
from orgscan.model import (
    MAX_RETENTION_DAYS,
    IntegrityCheck,
    IntegrityCode,
    Policy,
    Status,
    prelock_check,
)
from orgscan.prelock_count import Prelock, prelock_policy

#: Key states in which CloudTrail cannot encrypt new log files and the old ones are at risk
#: (a key pending deletion is unusable, and its files unreadable, once the wait ends).
UNUSABLE_KEY_STATES = frozenset({"Disabled", "PendingDeletion", "PendingReplicaDeletion"})


@dataclass(frozen=True)
class IntegrityReads:
    """The keys (by ARN) and the accounts' Block Public Access (by account id) a scan read."""

    keys: Mapping[str, KeyFacts] = field(default_factory=dict)
    blocks: Mapping[str, AccountBlock] = field(default_factory=dict)


@dataclass(frozen=True)
class Subject:
    """Everything the checks of one trail look at."""

    trail: Trail
    facts: BucketFacts
    delivering: bool | None
    delivery_error: str | None
    key: KeyFacts | None
    account_block: AccountBlock | None
    #: The bucket's pre-lock count (contract 5.4): None until counted, after the other checks.
    prelock: Prelock | None = None

    @property
    def log_prefix(self) -> str:
        """Where CloudTrail writes the trail's files: its S3KeyPrefix, then ``AWSLogs/``."""
        return logs_prefix(self.trail.s3_key_prefix)


@dataclass(frozen=True)
class Integrity:
    """A finding's integrity fields and checks."""

    mfa_delete: bool | None
    kms_key_state: str | None
    kms_key_rotation: bool | None
    lifecycle_expiration_days: int | None
    public_access_blocked: bool | None
    checks: tuple[IntegrityCheck, ...]


def assess(
    trail: Trail,
    facts: BucketFacts,
    delivering: bool | None,
    delivery_error: str | None,
    policy: Policy,
    reads: IntegrityReads,
) -> Integrity:
    """The integrity of ``trail`` under ``policy``: every check of ``CHECKS`` that applies."""
    key = reads.keys.get(trail.kms_key_id) if trail.kms_key_id else None
    owner = facts.bucket_account_id
    subject = Subject(
        trail, facts, delivering, delivery_error, key, reads.blocks.get(owner) if owner else None
    )
    checks = tuple(check for _, judge in CHECKS if (check := judge(subject, policy)) is not None)
    return Integrity(
        mfa_delete=facts.mfa_delete,
        kms_key_state=key.state if key else None,
        kms_key_rotation=key.rotation if key else None,
        lifecycle_expiration_days=lifecycle_expiration_days(subject),
        public_access_blocked=public_access_blocked(subject),
        checks=checks,
    )


def worst(checks: Sequence[IntegrityCheck]) -> Status | None:
    """The most urgent status among ``checks`` (FAIL, ERROR, WARN, PASS); None when empty."""
    return min((check.status for check in checks), key=lambda s: s.urgency, default=None)


def lifecycle_expiration_days(subject: Subject) -> int | None:
    """The shortest expiration of an enabled rule reaching the trail's files; None if none
    does, or the rules were not read."""
    integrity = subject.facts.integrity
    if integrity is None or integrity.lifecycle is None:
        return None
    logs = subject.log_prefix
    return min((rule.days for rule in integrity.lifecycle if rule.reaches(logs)), default=None)


def public_access_blocked(subject: Subject) -> bool | None:
    """True when every Block Public Access setting is on, for the bucket or its account (S3
    applies the stricter of the two); None when what would decide was not read."""
    integrity = subject.facts.integrity
    bucket = integrity.blocked if integrity is not None else None
    if bucket is None:
        return None
    if bucket == BLOCK_SETTINGS:
        return True
    block = subject.account_block
    if block is None or block.blocked is None:
        return None
    return (bucket | block.blocked) == BLOCK_SETTINGS


# ---------------------------------------------------------------------- the checks


def _delivery(subject: Subject, policy: Policy) -> IntegrityCheck:
    check, error = IntegrityCode.DELIVERY, subject.delivery_error
    if subject.delivering is None:
        return IntegrityCheck(check, Status.ERROR, "The trail's status could not be read.")
    hours = policy.max_delivery_age_hours
    if not subject.delivering:
        return IntegrityCheck(
            check,
            Status.FAIL,
            f"CloudTrail reports {error} and delivered no log file in the {hours} hours "
            "before the scan.",
        )
    if error:
        return IntegrityCheck(
            check,
            Status.WARN,
            f"CloudTrail reports {error}, but a delivery succeeded within {hours} hours.",
        )
    return IntegrityCheck(check, Status.PASS, "CloudTrail reports no delivery error.")


def _log_file_validation(subject: Subject, policy: Policy) -> IntegrityCheck:
    check, enabled = IntegrityCode.LOG_FILE_VALIDATION, subject.trail.log_file_validation
    if enabled is None:
        return IntegrityCheck(
            check, Status.ERROR, "DescribeTrails did not say whether log file validation is on."
        )
    if enabled:
        return IntegrityCheck(
            check, Status.PASS, "Log file validation is on: digest files prove each log file."
        )
    return IntegrityCheck(
        check,
        Status.FAIL if policy.require_log_file_validation else Status.WARN,
        "Log file validation is off: nothing proves a log file was not changed or deleted.",
    )


def _kms_key(subject: Subject, _: Policy) -> IntegrityCheck | None:
    arn = subject.trail.kms_key_id
    if not arn:
        return None  # a trail without a key has nothing to check (contract 5.2)
    check, key = IntegrityCode.KMS_KEY, subject.key
    if key is None or key.error is not None or key.state is None:
        code = key.error.code if key is not None and key.error is not None else "not read"
        return IntegrityCheck(check, Status.ERROR, f"Key {arn} could not be read ({code}).")
    if key.state in UNUSABLE_KEY_STATES:
        return IntegrityCheck(
            check,
            Status.FAIL,
            f"Key {arn} is {key.state}: CloudTrail cannot encrypt new log files with it, and "
            "the files it encrypted are unreadable while it is unusable.",
        )
    if key.rotation is None:
        code = key.rotation_error.code if key.rotation_error is not None else "not read"
        return IntegrityCheck(
            check, Status.ERROR, f"Key {arn}'s rotation status could not be read ({code})."
        )
    if not key.rotation:
        return IntegrityCheck(
            check, Status.WARN, f"Key {arn} is {key.state}, but automatic rotation is off."
        )
    return IntegrityCheck(
        check, Status.PASS, f"Key {arn} is {key.state} and rotates automatically."
    )


def _bucket_not_read(
    subject: Subject, check: IntegrityCode, what: str, when_missing: str
) -> IntegrityCheck | None:
    """The check's verdict when the bucket's ``what`` cannot be looked at: FAIL when the
    bucket does not exist (known, not unread: ``when_missing`` says why), ERROR when it could
    not be read; None when its integrity facts are there to judge."""
    facts = subject.facts
    name = facts.bucket_name
    if facts.error_code in MISSING_BUCKET_CODES:
        return IntegrityCheck(check, Status.FAIL, f"Bucket {name} does not exist: {when_missing}")
    if facts.error is not None:
        return IntegrityCheck(
            check, Status.ERROR, f"Bucket {name} could not be read ({facts.error.code})."
        )
    if facts.integrity is None:
        return IntegrityCheck(check, Status.ERROR, f"Bucket {name}'s {what} was not read.")
    return None


def _lifecycle(subject: Subject, policy: Policy) -> IntegrityCheck:
    check, name, logs = IntegrityCode.LIFECYCLE, subject.facts.bucket_name, subject.log_prefix
    found = _bucket_not_read(subject, check, "lifecycle", "no log file is kept at all.")
    integrity = subject.facts.integrity
    if found is not None or integrity is None:
        return found or IntegrityCheck(check, Status.ERROR, "not read")
    if integrity.lifecycle is None:
        code = integrity.lifecycle_error.code if integrity.lifecycle_error else "Unknown"
        return IntegrityCheck(
            check, Status.ERROR, f"Bucket {name}'s lifecycle could not be read ({code})."
        )
    days = lifecycle_expiration_days(subject)
    if days is None:
        return IntegrityCheck(
            check, Status.PASS, f"No enabled lifecycle rule of {name} expires {logs} files."
        )
    expires = f"A lifecycle rule of {name} expires {logs} files after {days} days"
    minimum, retention = policy.min_retention_days, subject.facts.retention_days
    if minimum is not None and days < minimum:
        return IntegrityCheck(
            check, Status.FAIL, f"{expires}; the policy keeps them {minimum} days."
        )
    if retention and days < retention:
        return IntegrityCheck(
            check,
            Status.WARN,
            f"{expires}, sooner than the default retention of {retention} days: files "
            "without retention (written before the lock) go early.",
        )
    return IntegrityCheck(check, Status.PASS, f"{expires}, no sooner than they must be kept.")


def _public_access(subject: Subject, _: Policy) -> IntegrityCheck:
    check, name = IntegrityCode.PUBLIC_ACCESS, subject.facts.bucket_name
    consequence = "anyone may create it and receive the log files."
    found = _bucket_not_read(subject, check, "public access", consequence)
    integrity = subject.facts.integrity
    if found is not None or integrity is None:
        return found or IntegrityCheck(check, Status.ERROR, "not read")
    if integrity.is_public:
        return IntegrityCheck(check, Status.FAIL, f"Bucket {name}'s policy makes it public.")
    blocked = public_access_blocked(subject)
    if integrity.is_public is None or blocked is None:
        block = subject.account_block
        error = (
            integrity.policy_status_error
            or integrity.block_error
            or (block.error if block is not None else None)
        )
        owner = subject.facts.bucket_account_id or "unknown"
        why = error.code if error else f"account {owner}'s Block Public Access was not read"
        return IntegrityCheck(
            check, Status.ERROR, f"Bucket {name}'s public access could not be read ({why})."
        )
    if not blocked:
        return IntegrityCheck(
            check,
            Status.WARN,
            f"Bucket {name} is not public, but Block Public Access is not fully on for the "
            "bucket or its account: a later policy or ACL could open it.",
        )
    return IntegrityCheck(
        check, Status.PASS, f"Bucket {name} is not public and Block Public Access is fully on."
    )


def _prelock(subject: Subject, _: Policy) -> IntegrityCheck | None:
    # Counted after the other checks (only PASS buckets, not with --no-prelock): the count
    # adds its entry where it is set (``prelock.step.with_prelock``), from ``prelock_check``.
    return prelock_check(subject.prelock) if subject.prelock is not None else None


CheckFunction = Callable[[Subject, Policy], IntegrityCheck | None]
#: The checks, in the order a finding lists them; a function returns None when its check
#: does not apply to the trail (KMS_KEY without a key, PRELOCK without a count).
CHECKS: tuple[tuple[IntegrityCode, CheckFunction], ...] = (
    (IntegrityCode.DELIVERY, _delivery),
    (IntegrityCode.LOG_FILE_VALIDATION, _log_file_validation),
    (IntegrityCode.KMS_KEY, _kms_key),
    (IntegrityCode.LIFECYCLE, _lifecycle),
    (IntegrityCode.PUBLIC_ACCESS, _public_access),
    (IntegrityCode.PRELOCK, _prelock),
)


# ---------------------------------------------------------------------- findings.json

_FIELD_TYPES: dict[str, type] = {
    "mfa_delete": bool,
    "kms_key_state": str,
    "kms_key_rotation": bool,
    "lifecycle_expiration_days": int,
    "public_access_blocked": bool,
}
#: The longest text read back (a spreadsheet cell's limit, as the rest of findings.json).
_MAX_DETAIL = 32_767


def integrity_fields(
    raw: Mapping[str, Any], where: str, error: type[Exception] = ValueError
) -> dict[str, Any]:
    """A finding's integrity fields read back from findings.json, each checked; absent in
    files from before contract 5.2 (None, no checks). ``error`` naming what is wrong."""
    try:
        return _fields(raw, where)
    except ValueError as exc:
        raise error(str(exc)) from None


def later_policy(policy: Mapping[str, Any], error: type[Exception] = ValueError) -> dict[str, Any]:
    """The ``Policy`` fields a recorded ``run.policy`` gained after contract v2: the pre-lock
    count's (5.4) and ``require_log_file_validation`` (5.2, false when absent)."""
    value = policy.get("require_log_file_validation", False)
    if not isinstance(value, bool):
        raise error("run.policy: 'require_log_file_validation' must be true or false")
    return {**prelock_policy(policy, error), "require_log_file_validation": value}


def _fields(raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, kind in _FIELD_TYPES.items():
        try:
            found[key] = typed_value(raw, key, kind, optional=True) if key in raw else None
        except TypeError as exc:
            raise ValueError(f"{where}: {exc}") from None
    days = found["lifecycle_expiration_days"]
    if days is not None and not 0 <= days <= MAX_RETENTION_DAYS:
        raise ValueError(f"{where}: 'lifecycle_expiration_days' out of range: {days}")
    entries = raw.get("integrity", [])
    if not isinstance(entries, list):
        raise ValueError(f"{where}: 'integrity' must be a list")
    found["integrity"] = tuple(
        _check_from_dict(entry, f"{where}.integrity[{index}]")
        for index, entry in enumerate(entries)
    )
    return found


def _check_from_dict(raw: Any, where: str) -> IntegrityCheck:
    if not isinstance(raw, dict):
        raise ValueError(f"{where} must be an object")
    try:
        check = IntegrityCode(typed_value(raw, "check", str))
        status = Status(typed_value(raw, "status", str))
        detail = typed_value(raw, "detail", str)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{where}: {exc}") from None
    if len(detail) > _MAX_DETAIL:
        raise ValueError(f"{where}: 'detail' is longer than {_MAX_DETAIL} characters")
    return IntegrityCheck(check, status, detail)
