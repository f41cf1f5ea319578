"""The retro-lock jobs: S3 Batch Operations requests valid for botocore's s3control model.

moto has no ``s3control create_job``: each request is checked against botocore's own model
of ``CreateJob`` and sent through a botocore Stubber, which validates it the same way.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber
from botocore.validate import validate_parameters

from orgscan.model import LockMode
from orgscan.prelock_count import Prelock, PrelockSource
from orgscan.remediation.retrolock import (
    REPORT_PREFIX,
    ROLE_NAME,
    retro_lock_jobs,
    role_policy,
    trust_policy,
)
from tests.builders import finding

OWNER = "222222222222"
STARTED = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
COUNT = Prelock(
    PrelockSource.SAMPLE,
    checked=7,
    unprotected=5,
    oldest_unprotected="2026-10-01T08:00:00Z",
    oldest_protected="2026-11-02T10:00:00Z",
    prefixes=("AWSLogs/",),
)
LOCKED = finding(
    bucket_name="acme-analytics-prod-cloudtrail",
    bucket_account_id=OWNER,
    bucket_region="eu-west-1",
    lock_mode=LockMode.GOVERNANCE,
    retention_days=120,
    prelock=COUNT,
)


def test_one_job_per_month_up_to_the_oldest_protected_file() -> None:
    jobs = retro_lock_jobs(LOCKED, STARTED)
    windows = [(job.created_after, job.created_before, job.retain_until) for job in jobs]
    november = datetime(2026, 11, 1, tzinfo=UTC)
    lock = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    assert windows == [
        (None, november, november + timedelta(days=120)),
        (november - timedelta(seconds=1), lock, lock + timedelta(days=120)),
    ]
    october = jobs[0].request
    assert october["AccountId"] == OWNER
    assert october["RoleArn"] == f"arn:aws:iam::{OWNER}:role/{ROLE_NAME}"
    assert october["Operation"] == {
        "S3PutObjectRetention": {
            "BypassGovernanceRetention": False,
            "Retention": {"RetainUntilDate": november + timedelta(days=120), "Mode": "GOVERNANCE"},
        }
    }
    generator = october["ManifestGenerator"]["S3JobManifestGenerator"]
    assert generator["SourceBucket"] == "arn:aws:s3:::acme-analytics-prod-cloudtrail"
    assert generator["Filter"] == {
        "CreatedBefore": november,
        "KeyNameConstraint": {"MatchAnyPrefix": ["AWSLogs/"]},
    }
    # The completion report goes to the same bucket; the logs stay where CloudTrail wrote them.
    assert october["Report"]["Bucket"] == generator["SourceBucket"]
    assert october["Report"]["Prefix"] == REPORT_PREFIX
    # The same job asked again is the same request: CreateJob creates it once.
    assert (
        retro_lock_jobs(LOCKED, STARTED)[0].request["ClientRequestToken"]
        == (october["ClientRequestToken"])
    )
    assert october["ClientRequestToken"] != jobs[1].request["ClientRequestToken"]


def test_without_a_protected_file_the_bound_is_the_scan_start() -> None:
    unbounded = replace(LOCKED, prelock=replace(COUNT, oldest_protected=None))
    jobs = retro_lock_jobs(unbounded, STARTED)
    assert [job.created_before for job in jobs][-1] == STARTED
    assert len(jobs) == 3  # October, November, December to the scan's start


def test_compliance_only_when_asked_and_months_past_retention_need_no_job() -> None:
    # 36 days: October's files (until 1 November + 36 days, 7 December 00:00) are past it
    # when the scan starts at 09:00; November's (2 November 10:00 + 36 days) are not.
    [job] = retro_lock_jobs(replace(LOCKED, retention_days=36), STARTED, mode=LockMode.COMPLIANCE)
    assert job.request["Operation"]["S3PutObjectRetention"]["Retention"]["Mode"] == "COMPLIANCE"
    assert job.created_before == datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def test_nothing_to_do_when_no_file_was_found_unprotected() -> None:
    clean = replace(COUNT, unprotected=0, oldest_unprotected=None)
    assert retro_lock_jobs(replace(LOCKED, prelock=clean), STARTED) == []
    assert retro_lock_jobs(replace(LOCKED, prelock=None), STARTED) == []


@pytest.mark.parametrize("mode", [LockMode.GOVERNANCE, LockMode.COMPLIANCE])
def test_every_request_is_valid_for_botocores_s3control_model(mode: LockMode) -> None:
    client = boto3.client(
        "s3control", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    shape = client.meta.service_model.operation_model("CreateJob").input_shape
    jobs = retro_lock_jobs(LOCKED, STARTED, mode=mode)
    assert jobs
    with Stubber(client) as stub:
        for number, job in enumerate(jobs):
            validate_parameters(job.request, shape)  # raises on any unknown or wrong field
            stub.add_response("create_job", {"JobId": f"job-{number}"}, job.request)
        for number, job in enumerate(jobs):
            assert client.create_job(**job.request)["JobId"] == f"job-{number}"
        stub.assert_no_pending_responses()


def test_the_role_trusts_batch_operations_of_this_account_and_puts_only_retention() -> None:
    [statement] = trust_policy(OWNER)["Statement"]
    assert statement["Principal"] == {"Service": "batchoperations.s3.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": OWNER}}
    actions = {
        action
        for entry in role_policy(["acme-analytics-prod-cloudtrail"])["Statement"]
        for action in ([entry["Action"]] if isinstance(entry["Action"], str) else entry["Action"])
    }
    assert "s3:PutObjectRetention" in actions
    # Never a way around an existing retention, never a deletion.
    assert (
        not {"s3:BypassGovernanceRetention", "s3:DeleteObjectVersion", "s3:DeleteObject"} & actions
    )
