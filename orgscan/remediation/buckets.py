"""Pure helpers for the ``new-bucket`` strategy: the new bucket's name and its bucket policy."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from orgscan.model import Finding

SUFFIX = "-locked"
_MAX_LEN = 63
_INVALID = re.compile(r"[^a-z0-9.-]+")


def new_bucket_name(old: str) -> str:
    """The deterministic name of the locked replacement of bucket ``old``: ``<old>-locked``.

    The result is a valid S3 bucket name (3-63 characters of lowercase letters, digits, dots and
    hyphens, starting and ending with a letter or digit, no ``..``, ``.-`` or ``-.``): legacy
    names with capitals or underscores are folded, and a long name is trimmed before the suffix.
    """
    base = _INVALID.sub("-", old.lower())
    # A lone dot stays; any run of dots and hyphens holding a dot ("..", ".-", "-.") becomes "-".
    base = re.sub(r"[.-]*\.[.-]*", lambda run: "." if run.group() == "." else "-", base)
    base = base[: _MAX_LEN - len(SUFFIX)].strip(".-")
    if base.startswith("xn--"):  # reserved for internationalised domain names
        base = "xn-" + base[4:]
    return (base or "cloudtrail-logs") + SUFFIX


def partition_of(arn: str) -> str:
    """The partition of an ARN (``aws``, ``aws-us-gov``, ``aws-cn``); ``aws`` if it is not one."""
    parts = arn.split(":")
    return parts[1] if len(parts) > 2 and parts[0] == "arn" and parts[1] else "aws"


def delivery_policy(bucket: str, trails: Iterable[Finding], organization_id: str | None) -> str:
    """The bucket policy that lets CloudTrail deliver the logs of ``trails`` into ``bucket``.

    CloudTrail needs ``s3:GetBucketAcl`` on the bucket and ``s3:PutObject`` on
    ``[prefix/]AWSLogs/<account>/*`` (plus ``AWSLogs/<org-id>/*`` for an organization trail) with
    ``s3:x-amz-acl = bucket-owner-full-control``, both limited by ``aws:SourceArn`` to the trails.
    The trail's key prefix is not in the findings, so a second pattern covers prefixed paths.
    Returns compact JSON text (what ``PutBucketPolicy`` takes).
    """
    trail_list = sorted(trails, key=lambda finding: finding.trail_arn)
    partition = partition_of(trail_list[0].trail_arn) if trail_list else "aws"
    bucket_arn = f"arn:{partition}:s3:::{bucket}"
    log_roots: list[str] = []
    for trail in trail_list:
        log_roots.append(trail.account_id)
        if trail.is_organization_trail and organization_id:
            log_roots.append(organization_id)
    roots = sorted(set(log_roots))
    objects = [f"{bucket_arn}/AWSLogs/{root}/*" for root in roots]
    objects += [f"{bucket_arn}/*/AWSLogs/{root}/*" for root in roots]
    source_arns = [trail.trail_arn for trail in trail_list]
    principal = {"Service": "cloudtrail.amazonaws.com"}
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AWSCloudTrailAclCheck",
                "Effect": "Allow",
                "Principal": principal,
                "Action": "s3:GetBucketAcl",
                "Resource": bucket_arn,
                "Condition": {"StringEquals": {"aws:SourceArn": source_arns}},
            },
            {
                "Sid": "AWSCloudTrailWrite",
                "Effect": "Allow",
                "Principal": principal,
                "Action": "s3:PutObject",
                "Resource": objects,
                "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control",
                                               "aws:SourceArn": source_arns}},
            },
        ],
    }
    return json.dumps(document, separators=(",", ":"))
