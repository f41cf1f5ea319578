"""When a bucket policy lets CloudTrail deliver a trail's log files (``bucket_policy``): what the
remediation skips and the simulation decides delivery failures by."""

from __future__ import annotations

from typing import Any

from orgscan.bucket_policy import grants_delivery

BUCKET = "arn:aws:s3:::logs"
TRAIL = "arn:aws:cloudtrail:us-east-1:111122223333:trail/main"
SERVICE = {"Service": "cloudtrail.amazonaws.com"}
ACL: dict[str, Any] = {
    "Effect": "Allow",
    "Principal": SERVICE,
    "Action": "s3:GetBucketAcl",
    "Resource": BUCKET,
    "Condition": {"StringEquals": {"aws:SourceArn": TRAIL}},
}
WRITE: dict[str, Any] = {
    "Effect": "Allow",
    "Principal": SERVICE,
    "Action": "s3:PutObject",
    "Resource": f"{BUCKET}/AWSLogs/111122223333/*",
    "Condition": {
        "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": TRAIL}
    },
}


def test_aws_own_statements_grant_delivery():
    assert grants_delivery([ACL, WRITE], BUCKET, TRAIL)


def test_a_missing_statement_or_another_trail_grants_nothing():
    assert not grants_delivery([WRITE], BUCKET, TRAIL)
    other = "arn:aws:cloudtrail:us-east-1:111122223333:trail/other"
    assert not grants_delivery([ACL, WRITE], BUCKET, other)


def test_a_condition_it_cannot_read_never_counts_as_granted():
    unknown = {**WRITE, "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}
    assert not grants_delivery([ACL, unknown], BUCKET, TRAIL)


def test_a_deny_that_may_reach_the_write_wins_unless_its_condition_cannot_hold():
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": f"{BUCKET}/*",
        "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-123"}},
    }
    assert not grants_delivery([ACL, WRITE, deny], BUCKET, TRAIL)  # cannot tell: refused
    elsewhere = {**deny, "Resource": "arn:aws:s3:::other/*"}
    assert grants_delivery([ACL, WRITE, elsewhere], BUCKET, TRAIL)
    without_tls = {**deny, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    assert grants_delivery([ACL, WRITE, without_tls], BUCKET, TRAIL)  # CloudTrail uses TLS
    unconditional = {key: value for key, value in deny.items() if key != "Condition"}
    assert not grants_delivery([ACL, WRITE, unconditional], BUCKET, TRAIL)
