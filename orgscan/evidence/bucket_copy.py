"""The sealed run folder copied to the evidence bucket (``--evidence-bucket``), as a run does it:
the bucket checked before anything is written, the copy made once the folder is sealed.

``orgscan.evidence.bucket`` holds the S3 calls; this module gives them the run's settings and the
caller's client, and turns what happens into an ``EvidenceCopy`` for the caller to report.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from orgscan.aws.sessions import SessionFactory
from orgscan.config import ScanSettings
from orgscan.config.evidence_bucket import EvidenceBucket
from orgscan.errors import InputError
from orgscan.evidence.bucket import (
    EvidenceBucketError,
    EvidenceRetention,
    check_locked,
    retention_for,
    upload_run,
)
from orgscan.model import ScanResult

log = logging.getLogger("orgscan.pipeline")  # the run's story: one logger for the sequence


@dataclass(frozen=True)
class EvidenceCopy:
    """The sealed run folder's copy in the evidence bucket: where, under what retention, how
    many files; ``error`` says why it failed (the evidence is then incomplete)."""

    target: EvidenceBucket
    retention: EvidenceRetention
    files: int = 0
    error: str | None = None


def _evidence_client(sessions: SessionFactory) -> Any:
    return sessions.client(sessions.caller_account_id, "s3", sessions.default_region)


def expected_owner(settings: ScanSettings, sessions: SessionFactory) -> str:
    """The account every evidence call names as the bucket's owner: ``evidence_bucket_owner``
    (a central log-archive account), else the caller's own."""
    return settings.evidence_bucket_owner or sessions.caller_account_id


def check_evidence_bucket(settings: ScanSettings, sessions: SessionFactory) -> None:
    """``InputError`` when the evidence bucket cannot take the run (no Object Lock)."""
    if settings.evidence_bucket is None:
        return
    try:
        check_locked(
            _evidence_client(sessions), settings.evidence_bucket, expected_owner(settings, sessions)
        )
    except EvidenceBucketError as exc:
        raise InputError(str(exc)) from None


def copy_evidence(
    settings: ScanSettings,
    sessions: SessionFactory,
    run_dir: Path,
    result: ScanResult,
    manifest_sha: str,
    clock: Callable[[], datetime],
) -> EvidenceCopy:
    """Copy the sealed run folder to the evidence bucket; a failed copy is logged and
    returned, not raised: the folder itself is whole."""
    target = settings.evidence_bucket
    assert target is not None
    retention = retention_for(
        settings.evidence_lock_mode,
        settings.evidence_retention_days,
        settings.policy.min_retention_days,
    )
    try:
        keys = upload_run(
            _evidence_client(sessions),
            target,
            run_dir,
            result.run.run_id,
            retention,
            clock(),
            expected_owner(settings, sessions),
        )
    except EvidenceBucketError as exc:
        log.error("evidence copy failed: %s", exc)
        return EvidenceCopy(target, retention, error=str(exc))
    log.info(
        "copied %d files of run %s to %s, each under %s retention for %d days; "
        "manifest.json sha256 %s",
        len(keys),
        result.run.run_id,
        target,
        retention.mode.value,
        retention.days,
        manifest_sha,
    )
    return EvidenceCopy(target, retention, files=len(keys))
