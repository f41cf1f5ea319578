"""``retro-lock``: put retention on the log files a bucket received before its lock (§5.4).

A default retention protects only what is written after it was set. The files a bucket locked
in place already held are given retention where they are -- never copied elsewhere, since
``aws cloudtrail validate-logs`` needs them at the keys CloudTrail wrote them to -- by S3 Batch
Operations ``S3PutObjectRetention`` jobs (``s3control CreateJob``) whose manifest S3 generates
from the bucket itself (``S3JobManifestGenerator``), limited to the trails' ``AWSLogs/``
prefixes and to versions created before the lock.

When the lock was set is not in any AWS API. The oldest version the pre-lock count found
protected was written after it, so ``CreatedBefore`` is that version's creation time; without
one, the scan's start. Versions between the real lock time and that bound already carry the
default retention: a job only ever extends a retention (no bypass is asked for), so including
them changes nothing but the per-object fee.

A job sets one retain-until date for all its objects, while a default retention runs from each
object's creation: one job per calendar month of logs, each until the end of its month (or the
lock) plus the bucket's default retention days, so no file is kept shorter than the default
would have kept it, and at most a month longer. A month whose files are already past the
retention needs none and gets no job. GOVERNANCE unless COMPLIANCE is asked for: COMPLIANCE
cannot be shortened or removed by anyone, root included, until it ends.

Each job writes its completion report (every object that failed, and why) into the same bucket
under ``orgscan-retro-lock/``. The role it runs as (``orgscan-retro-lock``) trusts
``batchoperations.s3.amazonaws.com`` only for this account; ``role_policy`` and
``trust_policy`` are its documents.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from orgscan.model import Finding, LockMode

ROLE_NAME = "orgscan-retro-lock"
REPORT_PREFIX = "orgscan-retro-lock"
#: The completion report format S3 Batch Operations writes (its only one).
REPORT_FORMAT = "Report_CSV_20180820"
PRIORITY = 10


@dataclass(frozen=True)
class RetroLockJob:
    """One ``CreateJob`` request: the files of one month, created before the lock."""

    account_id: str
    region: str
    bucket: str
    created_after: datetime | None
    created_before: datetime
    retain_until: datetime
    request: dict[str, Any]


def lock_bound(finding: Finding, started: datetime) -> datetime:
    """``CreatedBefore`` of the last job: the oldest version found protected, else the scan's
    start (see the module's docstring)."""
    count = finding.prelock
    text = count.oldest_protected if count is not None else None
    return _parse(text) if text is not None else started


def retro_lock_jobs(
    finding: Finding,
    started: datetime,
    *,
    mode: LockMode = LockMode.GOVERNANCE,
    partition: str = "aws",
) -> list[RetroLockJob]:
    """The jobs that protect ``finding``'s bucket's files from before the lock; none when the
    count found none, or when the bucket's owner, region or default retention is unknown."""
    count = finding.prelock
    if (
        count is None
        or not count.unprotected
        or count.oldest_unprotected is None
        or finding.bucket_account_id is None
        or finding.bucket_region is None
        or not finding.retention_days
    ):
        return []
    before = lock_bound(finding, started)
    days = timedelta(days=finding.retention_days)
    jobs: list[RetroLockJob] = []
    for after, until_created in _months(_parse(count.oldest_unprotected), before):
        retain_until = until_created + days
        if retain_until <= started:
            continue  # these files are past the retention already: nothing to keep them for
        jobs.append(
            _job(finding, count.prefixes, after, until_created, retain_until, mode, partition)
        )
    return jobs


def _months(first: datetime, before: datetime) -> list[tuple[datetime | None, datetime]]:
    """(CreatedAfter, CreatedBefore) per calendar month from ``first``'s to ``before``'s. The
    first has no lower bound; each later one starts a second before the previous one ends, as
    both bounds exclude their instant (a file on a boundary is in two jobs: harmless)."""
    windows: list[tuple[datetime | None, datetime]] = []
    start = datetime(first.year, first.month, 1, tzinfo=UTC)
    after: datetime | None = None
    while start < before:
        following = datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)
        end = min(following, before)
        windows.append((after, end))
        after = end - timedelta(seconds=1)
        start = following
    return windows


def _job(
    finding: Finding,
    prefixes: Sequence[str],
    after: datetime | None,
    before: datetime,
    until: datetime,
    mode: LockMode,
    partition: str,
) -> RetroLockJob:
    owner = finding.bucket_account_id
    assert owner is not None
    bucket = finding.bucket_name
    arn = f"arn:{partition}:s3:::{bucket}"
    window: dict[str, Any] = {"CreatedBefore": before}
    if after is not None:
        window["CreatedAfter"] = after
    if prefixes:
        window["KeyNameConstraint"] = {"MatchAnyPrefix": list(prefixes)}
    month = (after + timedelta(seconds=1) if after else before - timedelta(seconds=1)).strftime(
        "%Y-%m"
    )
    token = hashlib.sha256(f"{bucket}|{month}|{mode.value}|{until.isoformat()}".encode())
    request: dict[str, Any] = {
        "AccountId": owner,
        "ConfirmationRequired": False,
        "Operation": {
            "S3PutObjectRetention": {
                "BypassGovernanceRetention": False,  # only ever extends a retention
                "Retention": {"RetainUntilDate": until, "Mode": mode.value},
            }
        },
        "Report": {
            "Bucket": arn,
            "Prefix": REPORT_PREFIX,
            "Format": REPORT_FORMAT,
            "Enabled": True,
            "ReportScope": "AllTasks",
        },
        # The same job asked twice (a second --apply, a rerun script) is created once.
        "ClientRequestToken": token.hexdigest()[:64],
        "Description": f"orgscan retro-lock {bucket} {month}"[:256],
        "Priority": PRIORITY,
        "RoleArn": f"arn:{partition}:iam::{owner}:role/{ROLE_NAME}",
        "ManifestGenerator": {
            "S3JobManifestGenerator": {
                "ExpectedBucketOwner": owner,
                "SourceBucket": arn,
                "EnableManifestOutput": False,
                "Filter": window,
            }
        },
    }
    return RetroLockJob(owner, finding.bucket_region or "", bucket, after, before, until, request)


def trust_policy(account_id: str) -> dict[str, Any]:
    """The job role's trust policy: S3 Batch Operations, for jobs of this account only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "batchoperations.s3.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        ],
    }


def role_policy(buckets: Sequence[str], partition: str = "aws") -> dict[str, Any]:
    """The job role's permissions: list the buckets' versions to generate the manifest, put
    retention on their objects, write the completion report under ``REPORT_PREFIX``."""
    bucket_arns = [f"arn:{partition}:s3:::{bucket}" for bucket in sorted(buckets)]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "GenerateManifest",
                "Effect": "Allow",
                "Action": [
                    "s3:GetBucketLocation",
                    "s3:GetBucketObjectLockConfiguration",
                    "s3:ListBucket",
                    "s3:ListBucketVersions",
                ],
                "Resource": bucket_arns,
            },
            {
                "Sid": "PutRetention",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObjectRetention"],
                "Resource": [f"{arn}/*" for arn in bucket_arns],
            },
            {
                "Sid": "WriteCompletionReport",
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": [f"{arn}/{REPORT_PREFIX}/*" for arn in bucket_arns],
            },
        ],
    }


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
