"""Copying a finished run folder into an S3 bucket under Object Lock.

A run folder on the machine that ran the scan can be changed by whoever controls that machine.
A copy in a bucket with Object Lock, each object under a retention period, cannot be changed or
deleted by anyone (COMPLIANCE mode, not even the account's root user) until the period ends:
together with the manifest's SHA-256, printed and logged, it ties the evidence to the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from orgscan.config.evidence_bucket import EvidenceBucket
from orgscan.evidence.manifest import run_files
from orgscan.facts import AwsError
from orgscan.model import LockMode
from orgscan.runs.folder import MANIFEST_FILE

#: Retention when neither the config nor the policy says how long: one year, the usual
#: minimum for audit log retention (e.g. PCI DSS 10.5.1, NIST SP 800-53 AU-11 baselines).
DEFAULT_EVIDENCE_DAYS = 365


class EvidenceBucketError(Exception):
    """The evidence bucket cannot take the run folder (no Object Lock, not reachable)."""


@dataclass(frozen=True)
class EvidenceRetention:
    """The Object Lock retention every uploaded object gets."""

    mode: LockMode
    days: int


def check_locked(client: Any, target: EvidenceBucket, expected_owner: str) -> None:
    """Raise ``EvidenceBucketError`` unless ``target``'s bucket, owned by the account
    ``expected_owner``, has Object Lock enabled."""
    try:
        # S3 refuses (403) when another account owns the bucket: a bucket of the same name
        # created by someone else must never be taken for the evidence bucket.
        reply = client.get_object_lock_configuration(
            Bucket=target.bucket, ExpectedBucketOwner=expected_owner
        )
    except (ClientError, BotoCoreError) as exc:
        error = AwsError.of(exc)
        if error.code == "ObjectLockConfigurationNotFoundError":
            raise EvidenceBucketError(
                f"evidence bucket {target.bucket} has no Object Lock; "
                "use a bucket created with Object Lock enabled"
            ) from None
        raise EvidenceBucketError(
            f"evidence bucket {target.bucket}: cannot read its Object "
            f"Lock configuration ({error.code}: {error.message})"
        ) from None
    if (reply.get("ObjectLockConfiguration") or {}).get("ObjectLockEnabled") != "Enabled":
        raise EvidenceBucketError(
            f"evidence bucket {target.bucket} has no Object Lock; use a "
            "bucket created with Object Lock enabled"
        )


def upload_run(
    client: Any,
    target: EvidenceBucket,
    run_dir: Path,
    run_id: str,
    retention: EvidenceRetention,
    now: datetime,
    expected_owner: str,
) -> list[str]:
    """Put every file of ``run_dir`` under ``target``, each locked until ``now`` + the
    retention; the manifest goes last, so a reader who finds it finds every file it lists.
    Every upload names ``expected_owner``, the account that must own the bucket: S3 refuses it
    otherwise, so the evidence never lands in a bucket someone else controls. Returns the keys
    written; ``EvidenceBucketError`` on the first failure."""
    until = now + timedelta(days=retention.days)
    files = [
        (relative, path)
        for relative, path in run_files(run_dir)
        if path.is_file() and not path.is_symlink()
    ]
    files.append((MANIFEST_FILE, run_dir / MANIFEST_FILE))
    keys: list[str] = []
    for relative, path in files:
        key = target.key(run_id, relative)
        try:
            client.put_object(
                Bucket=target.bucket,
                ExpectedBucketOwner=expected_owner,
                Key=key,
                Body=path.read_bytes(),
                # Object Lock writes need an integrity checksum; SHA-256 matches the manifest.
                ChecksumAlgorithm="SHA256",
                ObjectLockMode=retention.mode.value,
                ObjectLockRetainUntilDate=until,
            )
        except (ClientError, BotoCoreError) as exc:
            error = AwsError.of(exc)
            raise EvidenceBucketError(
                f"uploading {key} to {target.bucket} failed: {error.code}: {error.message}"
            ) from None
        except OSError as exc:
            raise EvidenceBucketError(f"cannot read {path}: {exc.strerror}") from None
        keys.append(key)
    return keys


def retention_for(
    mode: LockMode | None, days: int | None, policy_days: int | None
) -> EvidenceRetention:
    """The retention to use: the configured mode (default COMPLIANCE) and days (default the
    policy's minimum retention, else ``DEFAULT_EVIDENCE_DAYS``)."""
    return EvidenceRetention(
        mode=mode or LockMode.COMPLIANCE, days=days or policy_days or DEFAULT_EVIDENCE_DAYS
    )
