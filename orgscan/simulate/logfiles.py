"""The simulated log files of a bucket (``BucketSpec.logs_before_lock``/``logs_after_lock``).

Shared by the moto build, the botocore hook that answers what moto cannot, and the in-process
responder, so all three name the same files and tell the same ones apart.
"""

from __future__ import annotations

from orgscan.simulate.spec import BucketSpec


def log_keys(bucket: BucketSpec, owner_id: str) -> tuple[str, ...]:
    """The keys of ``bucket``'s log files, oldest first, as CloudTrail names them: October's
    written before the lock, November's after (``written_before_lock`` tells them apart)."""
    folder = f"AWSLogs/{owner_id}/CloudTrail/{bucket.region}/2026"
    name = f"{owner_id}_CloudTrail_{bucket.region}"
    before = [
        f"{folder}/10/{day:02d}/{name}_202610{day:02d}T0000Z_b{day}.json.gz"
        for day in range(1, bucket.logs_before_lock + 1)
    ]
    after = [
        f"{folder}/11/{day:02d}/{name}_202611{day:02d}T0000Z_a{day}.json.gz"
        for day in range(1, bucket.logs_after_lock + 1)
    ]
    return tuple(before + after)


def written_before_lock(key: str) -> bool:
    """True for a simulated log file written before its bucket's lock."""
    return "/CloudTrail/" in key and "/2026/10/" in key
