"""The rule: is a CloudTrail bucket's Object Lock configuration good enough under a policy?

Pure: ``BucketFacts`` + ``Policy`` -> ``Verdict``. A bucket that could not be read is ERROR,
never FAIL: "could not tell" is not "not locked". When several reasons apply the worst status
wins (FAIL > WARN > PASS), so a lighter reason never hides a heavier one.

A trail is judged here too: whether its bucket lies outside the organization
(``judged_outside``) and its finding (``trail_finding``), so that the scan and
``orgscan verify --recompute`` reach the same finding from the same evidence.
"""

from __future__ import annotations

from collections.abc import Collection, Container
from dataclasses import replace
from datetime import datetime

from orgscan.collect.buckets import known_to_exist
from orgscan.collect.trails import TrailHealth
from orgscan.error_codes import ACCESS_DENIED_CODES, INTERRUPTED, MISSING_BUCKET_CODES
from orgscan.facts import BucketFacts, Trail
from orgscan.identifiers import CONTROL_TOWER_PREFIX
from orgscan.integrity import IntegrityReads, assess
from orgscan.model import (
    REASON_STATUS,
    Finding,
    Policy,
    ReasonCode,
    Status,
    Verdict,
)

#: The order in which reasons are named: the first among those with the worst status is the
#: finding's ``reason_code`` (contract v2).
PRECEDENCE: tuple[ReasonCode, ...] = (
    ReasonCode.BUCKET_MISSING,
    ReasonCode.BUCKET_OUTSIDE_ORGANIZATION,
    ReasonCode.LOCK_NOT_CONFIGURED,
    ReasonCode.NO_DEFAULT_RETENTION,
    ReasonCode.MODE_NOT_ALLOWED,
    ReasonCode.RETENTION_TOO_SHORT,
)


def reason_status(code: ReasonCode, policy: Policy) -> Status:
    """The status ``code`` carries under ``policy``.

    A bucket with Object Lock but no default retention protects no CloudTrail log file
    (CloudTrail sets no per-object retention), so that is FAIL unless the policy says a default
    rule is not required, which keeps the literal audit's WARN.
    """
    if code is ReasonCode.NO_DEFAULT_RETENTION and policy.require_default_retention:
        return Status.FAIL
    return REASON_STATUS[code]


def evaluate(facts: BucketFacts, policy: Policy) -> Verdict:
    """Judge one bucket: the worst status of every applicable reason.

    The reason code is the first, in ``PRECEDENCE``, among the reasons with that status; the
    sentence names the others.
    """
    missing = facts.error_code in MISSING_BUCKET_CODES
    if facts.outside_organization and not missing:
        return _outside_verdict(facts, policy)
    if facts.error is not None and not missing:
        return _error_verdict(facts)
    if facts.error is None and facts.object_lock_enabled is None:
        # Nothing was read and nothing failed: never let that read as "not locked".
        return _error_verdict(facts)
    return _judged(_problems(facts, policy), facts, policy)


def _judged(problems: list[tuple[ReasonCode, str]], facts: BucketFacts, policy: Policy) -> Verdict:
    if not problems:
        return Verdict(
            REASON_STATUS[ReasonCode.COMPLIANT], ReasonCode.COMPLIANT, _compliant_sentence(facts)
        )
    status = max(
        (reason_status(code, policy) for code, _ in problems), key=lambda status: status.severity
    )
    ranked = sorted(problems, key=lambda problem: PRECEDENCE.index(problem[0]))
    code, sentence = next(p for p in ranked if reason_status(p[0], policy) is status)
    others = [other for other, _ in ranked if other is not code]
    if others:
        sentence = f"{sentence} Also: {', '.join(others)}."
    if facts.bucket_name.startswith(CONTROL_TOWER_PREFIX):
        # The landing zone's "log retention" is a lifecycle expiration Control Tower puts on
        # this bucket; it sets no Object Lock. Pointing there would leave the bucket unlocked.
        sentence += (
            " This is AWS Control Tower's log bucket: the landing zone's log retention setting "
            "is a lifecycle expiration, not Object Lock; Object Lock and its default retention "
            "are set on the bucket itself, in the Log Archive account. Keep the landing zone's "
            "retention at least as long as the lock's."
        )
    return Verdict(status, code, sentence)


def _outside_verdict(facts: BucketFacts, policy: Policy) -> Verdict:
    outside = (
        ReasonCode.BUCKET_OUTSIDE_ORGANIZATION,
        f"Bucket {facts.bucket_name} exists but no account of the organization owns it: "
        "the organization cannot show that its log files are protected.",
    )
    readable = facts.error is None and facts.object_lock_enabled is not None
    # What could be read of a foreign bucket is still judged, so the sentence says all of it.
    return _judged([outside, *(_problems(facts, policy) if readable else [])], facts, policy)


def _problems(facts: BucketFacts, policy: Policy) -> list[tuple[ReasonCode, str]]:
    """Every reason that applies, in the contract's order of precedence."""
    name = facts.bucket_name
    if facts.error_code in MISSING_BUCKET_CODES:
        return [
            (
                ReasonCode.BUCKET_MISSING,
                f"The trail delivers to bucket {name}, which does not exist.",
            )
        ]
    if not facts.object_lock_enabled:
        return [
            (
                ReasonCode.LOCK_NOT_CONFIGURED,
                f"Object Lock is not enabled on bucket {name}: log files can be deleted.",
            )
        ]
    problems: list[tuple[ReasonCode, str]] = []
    has_retention = facts.lock_mode is not None and bool(facts.retention_days)
    if not has_retention:
        # Named under every policy; only its status depends on require_default_retention.
        problems.append(
            (
                ReasonCode.NO_DEFAULT_RETENTION,
                f"Object Lock is enabled on bucket {name} but it has no default "
                "retention: new log files are not protected.",
            )
        )
    strength = facts.lock_mode.strength if facts.lock_mode is not None else 0
    if strength < policy.require_mode.strength:
        mode = facts.lock_mode.value if facts.lock_mode is not None else "no"
        problems.append(
            (
                ReasonCode.MODE_NOT_ALLOWED,
                f"Bucket {name} has {mode} default retention mode; the policy "
                f"requires {policy.require_mode.value}.",
            )
        )
    minimum = policy.min_retention_days
    if minimum is not None and (facts.retention_days or 0) < minimum:
        problems.append(
            (
                ReasonCode.RETENTION_TOO_SHORT,
                f"Bucket {name} keeps log files for {facts.retention_days or 0} days by "
                f"default; the policy requires at least {minimum}.",
            )
        )
    return problems


def _compliant_sentence(facts: BucketFacts) -> str:
    if facts.lock_mode is None:
        return f"Object Lock is enabled on bucket {facts.bucket_name}."
    return (
        f"Object Lock is enabled on bucket {facts.bucket_name} with a "
        f"{facts.lock_mode.value} default retention of {facts.retention_days} days."
    )


def _error_verdict(facts: BucketFacts) -> Verdict:
    code = facts.error.code if facts.error is not None else "Unknown"
    detail = f" ({facts.error.message})" if facts.error is not None and facts.error.message else ""
    if code in ACCESS_DENIED_CODES:
        return Verdict(
            REASON_STATUS[ReasonCode.ACCESS_DENIED],
            ReasonCode.ACCESS_DENIED,
            f"Bucket {facts.bucket_name} could not be read from any account the "
            f"scan holds: {code}{detail}.",
        )
    return Verdict(
        REASON_STATUS[ReasonCode.API_ERROR],
        ReasonCode.API_ERROR,
        f"Reading bucket {facts.bucket_name} failed: {code}{detail}.",
    )


def judged_outside(
    facts: BucketFacts,
    *,
    use_org: bool,
    owned: Container[str],
    active: Collection[str],
    listed_ok: Container[str],
) -> BucketFacts:
    """``facts``, marked outside the organization when the bucket is known to exist and every
    ACTIVE account (``active``) listed its buckets (``listed_ok``) without it (``owned``: the
    buckets some account listed). With ``use_org`` false (--no-org) there is no organization to
    search. A bucket whose existence could not be told stays as read (ERROR: could not tell).

    Pure: the scan and ``orgscan verify --recompute`` both decide it here.
    """
    if not use_org or facts.bucket_name in owned:
        return facts
    if facts.error_code in MISSING_BUCKET_CODES or facts.error_code == INTERRUPTED:
        return facts
    if not known_to_exist(facts):
        return facts
    if not active or not all(account_id in listed_ok for account_id in active):
        return facts
    return replace(facts, bucket_account_id=None, outside_organization=True)


def trail_finding(
    trail: Trail,
    facts: BucketFacts,
    policy: Policy,
    health: TrailHealth | None,
    started: datetime,
    reads: IntegrityReads | None = None,
) -> Finding:
    """The finding on ``trail``: its bucket's ``facts`` judged by the rule under ``policy``,
    with the trail's ``health`` (None when it was not read); whether it is delivering is
    judged against ``started``, when the scan began. Its integrity checks (contract 5.2) read
    the keys and accounts' Block Public Access in ``reads``.

    Pure: the scan and ``orgscan verify --recompute`` both build findings with it, so a
    re-derived finding differs from the scan's only where the evidence does.
    """
    verdict = evaluate(facts, policy)
    delivering = health.delivering(started, policy.max_delivery_age_hours) if health else None
    delivery_error = health.latest_delivery_error if health else None
    integrity = assess(trail, facts, delivering, delivery_error, policy, reads or IntegrityReads())
    return Finding(
        account_id=trail.account_id,
        trail_name=trail.trail_name,
        trail_arn=trail.trail_arn,
        home_region=trail.home_region,
        is_organization_trail=trail.is_organization_trail,
        is_multi_region=trail.is_multi_region,
        bucket_name=trail.bucket_name,
        bucket_account_id=facts.bucket_account_id,
        bucket_region=facts.bucket_region,
        object_lock_enabled=facts.object_lock_enabled,
        lock_mode=facts.lock_mode,
        retention_days=facts.retention_days,
        versioning=facts.versioning,
        status=verdict.status,
        reason_code=verdict.reason_code,
        reason=verdict.reason,
        is_logging=health.is_logging if health else None,
        latest_delivery_error=delivery_error,
        management_events=health.management_events if health else None,
        global_service_events=trail.include_global_service_events,
        latest_delivery_time=health.latest_delivery_time if health else None,
        delivering=delivering,
        log_file_validation=trail.log_file_validation,
        kms_key_arn=trail.kms_key_id,
        s3_key_prefix=trail.s3_key_prefix,
        mfa_delete=integrity.mfa_delete,
        kms_key_state=integrity.kms_key_state,
        kms_key_rotation=integrity.kms_key_rotation,
        lifecycle_expiration_days=integrity.lifecycle_expiration_days,
        public_access_blocked=integrity.public_access_blocked,
        integrity=integrity.checks,
    )
