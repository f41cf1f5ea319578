"""The reads behind the integrity checks (contract 5.2), each a value, failures included.

Per bucket, by its owner in its region: ``GetBucketLifecycleConfiguration``,
``GetBucketPolicyStatus``, ``GetPublicAccessBlock``. Per bucket owner: the account's Block
Public Access (``s3control GetPublicAccessBlock``). Per KMS key, by its owner in its region:
``DescribeKey`` and ``GetKeyRotationStatus``. The scan and ``verify --recompute`` both read
through these functions, with AWS's clients or with the recorded answers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from orgscan.facts import (
    BLOCK_SETTINGS,
    AccountBlock,
    AwsError,
    BucketIntegrity,
    KeyFacts,
    LifecycleRule,
)

#: The codes S3 answers for "nothing configured": a read value, not a failure.
NO_LIFECYCLE = "NoSuchLifecycleConfiguration"
NO_POLICY = "NoSuchBucketPolicy"
NO_BLOCK = "NoSuchPublicAccessBlockConfiguration"


def read_bucket_integrity(client: Any, bucket: str) -> BucketIntegrity:
    """The bucket's expiring lifecycle rules, whether its policy makes it public, and its
    Block Public Access settings; ``client`` acts as the owner in the bucket's region."""
    errors: dict[str, AwsError] = {}

    def read(field: str, call: Callable[[], Any], absent_code: str, absent: Any) -> Any:
        # One read: its value, "nothing configured" as a value, or its failure kept aside.
        try:
            return _answer_or(call, absent_code, absent)
        except (ClientError, BotoCoreError, ValueError) as exc:
            errors[f"{field}_error"] = _error(exc)
            return None

    lifecycle = read(
        "lifecycle",
        lambda: lifecycle_rules(
            client.get_bucket_lifecycle_configuration(Bucket=bucket).get("Rules")
        ),
        NO_LIFECYCLE,
        (),
    )
    is_public = read(
        "policy_status",
        lambda: _is_public(client.get_bucket_policy_status(Bucket=bucket)),
        NO_POLICY,
        False,
    )
    blocked = read(
        "block",
        lambda: block_settings(client.get_public_access_block(Bucket=bucket)),
        NO_BLOCK,
        frozenset(),
    )
    return BucketIntegrity(lifecycle, is_public, blocked, **errors)


def read_account_block(client: Any, account_id: str) -> AccountBlock:
    """The account's own Block Public Access settings; ``client`` is s3control as the account."""
    try:
        blocked = _answer_or(
            lambda: block_settings(client.get_public_access_block(AccountId=account_id)),
            NO_BLOCK,
            frozenset(),
        )
    except (ClientError, BotoCoreError, ValueError) as exc:
        return AccountBlock(account_id, None, _error(exc))
    return AccountBlock(account_id, blocked)


def read_key(client: Any, key_arn: str) -> KeyFacts:
    """The key's state and whether automatic rotation is on; ``client`` is KMS in the key's
    region. A rotation read that fails leaves the state read (a disabled key is known)."""
    try:
        metadata = client.describe_key(KeyId=key_arn).get("KeyMetadata") or {}
        state = metadata.get("KeyState")
        if not isinstance(state, str):
            raise ValueError("DescribeKey answered without a KeyState")
    except (ClientError, BotoCoreError, ValueError) as exc:
        return KeyFacts(key_arn, None, None, error=_error(exc))
    try:
        rotation = client.get_key_rotation_status(KeyId=key_arn).get("KeyRotationEnabled")
        if not isinstance(rotation, bool):
            raise ValueError("GetKeyRotationStatus answered without KeyRotationEnabled")
    except (ClientError, BotoCoreError, ValueError) as exc:
        return KeyFacts(key_arn, state, None, rotation_error=_error(exc))
    return KeyFacts(key_arn, state, rotation)


def key_owner(key_arn: str) -> tuple[str, str] | None:
    """(account, region) a KMS key ARN names; None for anything else (an alias, a bare id)."""
    parts = key_arn.split(":")
    if len(parts) < 6 or parts[2] != "kms" or not parts[3] or not parts[4].isdigit():
        return None
    return parts[4], parts[3]


def lifecycle_rules(rules: Any) -> tuple[LifecycleRule, ...]:
    """The enabled rules of a lifecycle configuration that expire objects or versions."""
    if not isinstance(rules, list):
        raise ValueError("GetBucketLifecycleConfiguration answered without a Rules list")
    found = []
    for rule in rules:
        if not isinstance(rule, Mapping) or rule.get("Status") != "Enabled":
            continue
        days = _expiration_days(rule)
        if days is None:
            continue
        prefix, tagged = _filter(rule)
        found.append(LifecycleRule(prefix, tagged, days))
    return tuple(found)


def rule_reaches(rule: Mapping[str, Any], logs: str) -> bool:
    """True when the raw lifecycle ``rule`` is enabled and its filter reaches the log files
    under ``logs``: the test the LIFECYCLE check puts to every rule it counts."""
    if rule.get("Status") != "Enabled":
        return False
    prefix, tagged = _filter(rule)
    return LifecycleRule(prefix, tagged, 0).reaches(logs)


def block_settings(answer: Mapping[str, Any]) -> frozenset[str]:
    """The Block Public Access settings an answer turns on."""
    config = answer.get("PublicAccessBlockConfiguration") or {}
    return frozenset(name for name in BLOCK_SETTINGS if config.get(name) is True)


def _expiration_days(rule: Mapping[str, Any]) -> int | None:
    """The shortest expiration a rule sets, current or noncurrent; a date counts as 0 days:
    files written just before it are kept no time at all."""
    expiration = rule.get("Expiration") or {}
    noncurrent = rule.get("NoncurrentVersionExpiration") or {}
    days = [
        value
        for value in (expiration.get("Days"), noncurrent.get("NoncurrentDays"))
        if isinstance(value, int) and not isinstance(value, bool)
    ]
    if expiration.get("Date") is not None:
        days.append(0)
    return min(days) if days else None


def _filter(rule: Mapping[str, Any]) -> tuple[str, bool]:
    """(prefix, needs tags) of a rule: its ``Filter`` (``Prefix``, ``Tag``, ``And``) or the
    legacy top-level ``Prefix``; size filters still reach some log files and are ignored."""
    rule_filter = rule.get("Filter")
    if not isinstance(rule_filter, Mapping):
        return str(rule.get("Prefix") or ""), False
    both = rule_filter.get("And")
    if isinstance(both, Mapping):
        return str(both.get("Prefix") or ""), bool(both.get("Tags"))
    return str(rule_filter.get("Prefix") or ""), "Tag" in rule_filter


def _is_public(answer: Mapping[str, Any]) -> bool:
    status = answer.get("PolicyStatus") or {}
    public = status.get("IsPublic")
    if not isinstance(public, bool):
        raise ValueError("GetBucketPolicyStatus answered without IsPublic")
    return public


def _answer_or(read: Callable[[], Any], absent_code: str, absent: Any) -> Any:
    """``read()``, or ``absent`` when S3 answers ``absent_code`` (nothing configured)."""
    try:
        return read()
    except ClientError as exc:
        if AwsError.of(exc).code == absent_code:
            return absent
        raise


def _error(exc: Exception) -> AwsError:
    if isinstance(exc, ClientError | BotoCoreError):
        return AwsError.of(exc)
    return AwsError("MalformedResponse", str(exc))
