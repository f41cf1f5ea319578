"""A bounded sample of a bucket's log file versions, each read with ``HeadObject``.

``ListObjectVersions`` gives no retention, so each version sampled costs one ``HeadObject``
(``ObjectLockMode``/``ObjectLockRetainUntilDate``; ``GetObjectRetention`` would do too, but
needs a permission of its own and moto cannot answer it). One listing page per prefix is read:
CloudTrail's keys carry the date (``AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/``), so
the page holds the oldest days. The sample then takes, in this order: the oldest half of the
budget, the newest version listed, and the rest by bisection between the newest unprotected and
the oldest protected version found -- around the day the lock was set, where a bucket locked in
place turns from unprotected to protected. A sample can find unprotected files; it can never
show that there are none, and the reports say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from orgscan.facts import AwsError
from orgscan.prelock.times import iso, moment, protected
from orgscan.prelock_count import Prelock, PrelockSource

#: Versions listed per prefix: one ``ListObjectVersions`` page.
LISTED_PER_PREFIX = 1000


@dataclass(frozen=True)
class _Version:
    key: str
    version_id: str
    created: datetime


def sample(
    client: Any, bucket: str, prefixes: tuple[str, ...], started: datetime, size: int
) -> Prelock:
    """Up to ``size`` versions under ``prefixes`` of ``bucket`` read for their retention;
    an AWS error stops the count and is kept in it."""
    versions: list[_Version] = []
    try:
        for prefix in prefixes:
            reply = client.list_object_versions(
                Bucket=bucket, Prefix=prefix, MaxKeys=LISTED_PER_PREFIX
            )
            versions.extend(_versions(reply))
    except (ClientError, BotoCoreError) as exc:
        return Prelock(PrelockSource.SAMPLE, 0, 0, None, prefixes=prefixes, error=_code(exc))
    versions.sort(key=lambda version: (version.created, version.key, version.version_id))
    looked: dict[int, bool] = {}
    error = None
    try:
        _look_at(client, bucket, versions, looked, started, size)
    except (ClientError, BotoCoreError) as exc:
        error = _code(exc)
    unprotected = [versions[i].created for i, ok in looked.items() if not ok]
    kept = [versions[i].created for i, ok in looked.items() if ok]
    return Prelock(
        PrelockSource.SAMPLE,
        checked=len(looked),
        unprotected=len(unprotected),
        oldest_unprotected=iso(min(unprotected)) if unprotected else None,
        oldest_protected=iso(min(kept)) if kept else None,
        prefixes=prefixes,
        error=error,
    )


def _look_at(
    client: Any,
    bucket: str,
    versions: list[_Version],
    looked: dict[int, bool],
    started: datetime,
    size: int,
) -> None:
    """Read the sample into ``looked`` (index -> protected), in the module's order."""

    def look(index: int) -> None:
        version = versions[index]
        reply = client.head_object(Bucket=bucket, Key=version.key, VersionId=version.version_id)
        looked[index] = protected(
            reply.get("ObjectLockMode"), reply.get("ObjectLockRetainUntilDate"), started
        )

    count = len(versions)
    for index in range(min(count, (size + 1) // 2)):
        look(index)
    if count and len(looked) < size and count - 1 not in looked:
        look(count - 1)
    while len(looked) < size:
        newest_bad = max((i for i, ok in looked.items() if not ok), default=-1)
        oldest_good = min((i for i, ok in looked.items() if ok and i > newest_bad), default=count)
        # Nothing unprotected yet, or nothing protected after it: no boundary to look for.
        if newest_bad < 0 or oldest_good >= count or oldest_good - newest_bad <= 1:
            return
        look((newest_bad + oldest_good) // 2)


def _versions(reply: Any) -> list[_Version]:
    """The object versions of one listing page (delete markers are listed apart: not files)."""
    found: list[_Version] = []
    for entry in reply.get("Versions") or []:
        if not isinstance(entry, dict):
            continue
        created = moment(entry.get("LastModified"))
        key = entry.get("Key")
        if isinstance(key, str) and created is not None:
            found.append(_Version(key, str(entry.get("VersionId") or "null"), created))
    return found


def _code(exc: ClientError | BotoCoreError) -> str:
    return AwsError.of(exc).code
