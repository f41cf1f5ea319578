"""Counting a PASS bucket's log files written before its lock, on moto's S3.

moto cannot add a default retention to a locked bucket that holds objects, so a bucket locked
in place is simulated the other way round: files written "before the lock" are put without
retention into a lock-enabled bucket, and files written "after" with the retention a default
rule would have given them (``ObjectLockMode``/``ObjectLockRetainUntilDate`` on the put).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from orgscan.aws.recorder import EVIDENCE_FILE, ResponseRecorder, recorded_call
from orgscan.evidence.evidence_file import load_evidence
from orgscan.evidence.prelock_replay import PrelockReplay
from orgscan.prelock.step import Subject, measure
from orgscan.prelock_count import Prelock, PrelockSource
from tests.ops.test_iam_policy import prelock_actions

REGION = "us-east-1"
BUCKET = "org-trail-logs"
PREFIX = "AWSLogs/"
STARTED = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def s3(aws_env: None) -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
        yield client


def _key(day: int) -> str:
    return f"{PREFIX}111111111111/CloudTrail/{REGION}/2026/11/{day:02d}/file-{day:02d}.json.gz"


def _put_logs(s3: Any, before: range, after: range) -> None:
    for day in before:  # written before the lock: no retention
        s3.put_object(Bucket=BUCKET, Key=_key(day), Body=b"{}")
    for day in after:  # written once the default retention was set
        s3.put_object(
            Bucket=BUCKET,
            Key=_key(day),
            Body=b"{}",
            ObjectLockMode="GOVERNANCE",
            ObjectLockRetainUntilDate=STARTED + timedelta(days=365),
        )


def test_a_sample_finds_the_files_written_before_the_lock(s3: Any) -> None:
    _put_logs(s3, before=range(1, 6), after=range(6, 21))
    s3.put_object(Bucket=BUCKET, Key="elsewhere/not-a-log", Body=b"x")  # outside the prefix
    counted = measure(s3, Subject(BUCKET, "123456789012", REGION, (PREFIX,)), STARTED, 8)
    assert counted.source is PrelockSource.SAMPLE
    # The 4 oldest (unprotected), the newest (protected), then bisection: 11, 7, 5 (protected).
    assert (counted.checked, counted.unprotected) == (8, 4)
    assert counted.oldest_unprotected is not None
    assert counted.oldest_protected is not None
    assert counted.oldest_unprotected <= counted.oldest_protected
    assert counted.prefixes == (PREFIX,)
    assert counted.verdict == "WARN"
    assert counted.sentence().startswith("4 of 8 sampled log files have no retention in force")


def test_a_sample_that_finds_nothing_does_not_say_none(s3: Any) -> None:
    _put_logs(s3, before=range(0), after=range(1, 4))
    counted = measure(s3, Subject(BUCKET, "123456789012", REGION, (PREFIX,)), STARTED, 8)
    assert (counted.checked, counted.unprotected, counted.oldest_unprotected) == (3, 0, None)
    assert counted.verdict == "PASS"
    assert "not proof that none are unprotected" in counted.sentence()


def test_an_empty_prefix_says_there_was_nothing_to_count(s3: Any) -> None:
    counted = measure(s3, Subject(BUCKET, "123456789012", REGION, (PREFIX,)), STARTED, 8)
    assert (counted.checked, counted.unprotected, counted.verdict) == (0, 0, "PASS")
    assert counted.sentence() == "No log file was found under AWSLogs/: there was nothing to count."


def test_a_passed_retain_until_date_protects_nothing(s3: Any) -> None:
    s3.put_object(
        Bucket=BUCKET,
        Key=_key(1),
        Body=b"{}",
        ObjectLockMode="GOVERNANCE",
        ObjectLockRetainUntilDate=datetime.now(UTC) + timedelta(days=1),
    )
    later = datetime.now(UTC) + timedelta(days=2)  # the retention ended before this scan
    counted = measure(s3, Subject(BUCKET, "123456789012", REGION, (PREFIX,)), later, 8)
    assert (counted.checked, counted.unprotected) == (1, 1)


# ------------------------------------------------------------------ S3 Inventory


def _inventory(s3: Any, rows: list[list[str]], *, fields: list[str]) -> None:
    """An inventory configuration (moto stores it) and a report as S3 delivers one (moto
    produces none): a dated folder with manifest.json and a gzip-compressed CSV data file."""
    s3.create_bucket(Bucket="inventory-reports")
    s3.put_bucket_inventory_configuration(
        Bucket=BUCKET,
        Id="logs-weekly",
        InventoryConfiguration={
            "Id": "logs-weekly",
            "IsEnabled": True,
            "IncludedObjectVersions": "All",
            "Destination": {
                "S3BucketDestination": {
                    "Bucket": "arn:aws:s3:::inventory-reports",
                    "Format": "CSV",
                    "Prefix": "inv",
                }
            },
            "Schedule": {"Frequency": "Weekly"},
            "OptionalFields": fields,
        },
    )

    # moto stores the configuration but answers its OptionalFields as ["Field"]: give back
    # what was put, as AWS does.
    def optional_fields(parsed: dict[str, Any], **_: Any) -> None:
        for config in parsed.get("InventoryConfigurationList", []):
            config["OptionalFields"] = fields

    s3.meta.events.register("after-call.s3.ListBucketInventoryConfigurations", optional_fields)
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    data = gzip.compress(out.getvalue().encode())
    folder = f"inv/{BUCKET}/logs-weekly"
    data_key = f"{folder}/data/0b1c2d3e.csv.gz"
    s3.put_object(Bucket="inventory-reports", Key=data_key, Body=data)
    for stamp, files in (("2026-11-29T01-00Z", []), ("2026-12-06T01-00Z", [data_key])):
        manifest = {
            "sourceBucket": BUCKET,
            "destinationBucket": "arn:aws:s3:::inventory-reports",
            "version": "2016-11-30",
            "creationTimestamp": "1765000000000",
            "fileFormat": "CSV",
            "fileSchema": "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, LastModifiedDate, "
            "ObjectLockRetainUntilDate, ObjectLockMode",
            "files": [{"key": key, "size": len(data), "MD5checksum": "0"} for key in files],
        }
        body = json.dumps(manifest).encode()
        s3.put_object(Bucket="inventory-reports", Key=f"{folder}/{stamp}/manifest.json", Body=body)


def _row(
    key: str, modified: str, mode: str = "", until: str = "", marker: str = "false"
) -> list[str]:
    return [BUCKET, key, "v1", "true", marker, modified, until, mode]


ROWS = [
    _row(
        "AWSLogs/111111111111/CloudTrail/us-east-1/2026/10/02/a.json.gz", "2026-10-02T10:00:00.000Z"
    ),
    _row(
        "AWSLogs/111111111111/CloudTrail/us-east-1/2026/10/20/b.json.gz", "2026-10-20T10:00:00.000Z"
    ),
    # URL-encoded, as inventory writes keys
    _row(
        "AWSLogs/111111111111/CloudTrail/us-east-1/2026/10/21/c%20d.json.gz",
        "2026-10-21T10:00:00.000Z",
    ),
    _row(
        "AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/02/e.json.gz",
        "2026-11-02T10:00:00.000Z",
        "COMPLIANCE",
        "2027-11-02T10:00:00.000Z",
    ),
    _row(  # a retention that has ended: unprotected
        "AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/03/f.json.gz",
        "2026-11-03T10:00:00.000Z",
        "GOVERNANCE",
        "2026-11-04T10:00:00.000Z",
    ),
    _row(
        "AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/04/g.json.gz",
        "2026-11-04T10:00:00.000Z",
        marker="true",
    ),
    _row("other/h.txt", "2026-09-01T10:00:00.000Z"),
]
RETENTION = ["ObjectLockRetainUntilDate", "ObjectLockMode", "LastModifiedDate"]


def test_an_inventory_report_with_retention_gives_the_exact_count(s3: Any) -> None:
    _inventory(s3, ROWS, fields=RETENTION)
    counted = measure(s3, Subject(BUCKET, "123456789012", REGION, (PREFIX,)), STARTED, 8)
    assert counted == Prelock(
        PrelockSource.INVENTORY,
        checked=5,
        unprotected=4,
        oldest_unprotected="2026-10-02T10:00:00Z",
        oldest_protected="2026-11-02T10:00:00Z",
        prefixes=(PREFIX,),
    )
    assert counted.sentence().startswith("4 of 5 log files in the latest S3 Inventory report")


def test_an_inventory_without_the_retention_fields_falls_back_to_a_sample(s3: Any) -> None:
    _inventory(s3, ROWS, fields=["LastModifiedDate"])
    _put_logs(s3, before=range(1, 3), after=range(3, 5))
    counted = measure(s3, Subject(BUCKET, "123456789012", REGION, (PREFIX,)), STARTED, 8)
    assert (counted.source, counted.checked, counted.unprotected) == (PrelockSource.SAMPLE, 4, 2)


# ------------------------------------------------------------------ evidence and replay


def test_recorded_reads_replay_to_the_same_count(s3: Any, tmp_path: Any) -> None:
    _inventory(s3, ROWS, fields=RETENTION)
    recorder = ResponseRecorder()
    recorder.start(tmp_path / EVIDENCE_FILE)
    # The evidence keeps the reads of trail buckets only: a trail delivering to BUCKET.
    trail: dict[str, Any] = {"TrailARN": f"arn:aws:cloudtrail:{REGION}:123456789012:trail/main"}
    trail |= {"Name": "main", "S3BucketName": BUCKET, "HomeRegion": REGION}
    trail |= {"IsMultiRegionTrail": True}
    recorder.record("123456789012", REGION, "DescribeTrails", {}, {"trailList": [trail]}, None)

    class Recording:
        def __getattr__(self, name: str) -> Any:
            return recorded_call(getattr(s3, name), recorder, "123456789012", s3.meta, name)

    subject = Subject(BUCKET, "123456789012", REGION, (PREFIX,))
    scanned = measure(Recording(), subject, STARTED, 8)
    assert recorder.finish() is not None
    evidence = load_evidence(tmp_path / EVIDENCE_FILE)
    replayed = measure(
        PrelockReplay(evidence).client("123456789012", "s3", REGION), subject, STARTED, 8
    )
    assert replayed == scanned
    assert scanned.source is PrelockSource.INVENTORY
    # Another account's answers were not recorded: the replay cannot make up a count.
    other = measure(
        PrelockReplay(evidence).client("210987654321", "s3", REGION), subject, STARTED, 8
    )
    assert other.error == "NotRecorded"


# ------------------------------------------------------------------ least privilege

#: The IAM actions each read needs: HeadObject of a version is s3:GetObjectVersion, and it
#: answers the retention headers only to a caller holding s3:GetObjectRetention.
ACTIONS = {
    "ListBucketInventoryConfigurations": {"s3:GetInventoryConfiguration"},
    "ListObjectsV2": {"s3:ListBucket"},
    "GetObject": {"s3:GetObject"},
    "ListObjectVersions": {"s3:ListBucketVersions"},
    "HeadObject": {"s3:GetObjectVersion", "s3:GetObjectRetention"},
}


def test_the_scan_role_grants_exactly_the_reads_the_count_makes(s3: Any) -> None:
    called: set[str] = set()

    def note(event_name: str, **_: Any) -> None:
        called.add(event_name.split(".")[-1])

    s3.meta.events.register("before-call.s3.*", note)
    _inventory(s3, ROWS, fields=RETENTION)
    subject = Subject(BUCKET, "123456789012", REGION, (PREFIX,))
    measure(s3, subject, STARTED, 8)  # the inventory path
    s3.create_bucket(Bucket="other-logs", ObjectLockEnabledForBucket=True)
    s3.put_object(Bucket="other-logs", Key=_key(1), Body=b"{}")
    subject = Subject("other-logs", "123456789012", REGION, (PREFIX,))
    measure(s3, subject, STARTED, 8)  # the sample path
    needed = set().union(*(ACTIONS[name] for name in called if name in ACTIONS))
    granted = prelock_actions() | {"s3:ListBucket"}  # ListBucket: ReadBucketObjectLock's
    assert needed == granted
