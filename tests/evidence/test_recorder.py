"""The recorded AWS responses: what is kept, what is left out, written from many threads."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from botocore.exceptions import ClientError

from orgscan.aws.recorder import EVIDENCE_FILE, ResponseRecorder, read_records


def test_records_written_from_many_threads_are_whole_lines(tmp_path: Path) -> None:
    recorder = ResponseRecorder()
    path = tmp_path / EVIDENCE_FILE
    recorder.start(path)
    assert not path.exists()  # the real name only once finished

    def call(number: int) -> None:
        recorder.record(
            f"{number:012d}",
            "eu-west-1",
            "GetBucketVersioning",
            {"Bucket": f"b{number}"},
            {"Status": "Enabled"},
            None,
        )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(call, range(2000)))
    assert recorder.finish() == path
    records = list(read_records(path))
    assert sorted(r["request"]["Bucket"] for r in records) == sorted(f"b{n}" for n in range(2000))
    assert {r["response"]["Status"] for r in records} == {"Enabled"}
    assert not list(path.parent.glob(".*.tmp"))


def test_operations_not_asked_for_and_calls_before_start_are_not_recorded(tmp_path: Path) -> None:
    recorder = ResponseRecorder()
    assert not recorder.wants("GetObjectLockConfiguration")
    recorder.start(tmp_path / "e.jsonl.gz")
    assert recorder.wants("GetObjectLockConfiguration")
    assert recorder.wants("GetTrailStatus")
    assert not recorder.wants("AssumeRole")
    assert not recorder.wants("ListAccounts")
    recorder.abandon()
    assert not list(tmp_path.iterdir())


def test_errors_keep_code_and_region_header_and_lose_credentials(tmp_path: Path) -> None:
    recorder = ResponseRecorder()
    path = tmp_path / "e.jsonl.gz"
    recorder.start(path)
    error = ClientError(
        {
            "Error": {
                "Code": "AccessDenied",
                "Message": "denied for ASIAABCDEFGHIJKLMNOP x-amz-security-token: TOK",
            },
            "ResponseMetadata": {
                "HTTPStatusCode": 403,
                "RequestId": "R1",
                "HostId": "noise",
                "HTTPHeaders": {"x-amz-bucket-region": "eu-west-1", "x-amz-id-2": "noise"},
                "RetryAttempts": 0,
            },
        },
        "GetObjectLockConfiguration",
    )
    recorder.record(
        "111111111111", "eu-west-1", "GetObjectLockConfiguration", {"Bucket": "logs"}, None, error
    )
    recorder.finish()
    (record,) = read_records(path)
    assert record["response"] is None
    assert record["error"] == {
        "Code": "AccessDenied",
        "Message": "denied for [access key id] x-amz-security-token: [redacted]",
        "ResponseMetadata": {
            "HTTPStatusCode": 403,
            "RequestId": "R1",
            "HTTPHeaders": {"x-amz-bucket-region": "eu-west-1"},
        },
    }
    assert "ASIA" not in json.dumps(record)


def test_the_demo_run_records_what_its_verdicts_rest_on(demo_run_master: Path) -> None:
    records = list(read_records(demo_run_master / EVIDENCE_FILE))
    findings = json.loads((demo_run_master / "findings.json").read_text())["findings"]
    operations = {r["operation"] for r in records}
    assert {
        "DescribeTrails",
        "ListBuckets",
        "HeadBucket",
        "GetObjectLockConfiguration",
        "GetBucketVersioning",
    } <= operations
    describes = [r for r in records if r["operation"] == "DescribeTrails"]
    described = {
        entry["TrailARN"]
        for r in describes
        if r["response"] is not None
        for entry in r["response"]["trailList"]
    }
    # The one DescribeTrails an SCP denies is evidence too: its error, not a response.
    denied = [(r["region"], r["error"]["Code"]) for r in describes if r["response"] is None]
    assert denied == [("eu-central-1", "AccessDeniedException")]
    assert {f["trail_arn"] for f in findings} <= described
    lock_reads = {
        r["request"]["Bucket"] for r in records if r["operation"] == "GetObjectLockConfiguration"
    }
    read = {f["bucket_name"] for f in findings if f["object_lock_enabled"] is not None}
    assert read <= lock_reads
    assert all(len(r["account_id"]) == 12 for r in records)
    assert "SecretAccessKey" not in (demo_run_master / EVIDENCE_FILE).read_bytes().decode("latin-1")
