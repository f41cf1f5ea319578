"""The AWS error codes orgscan tells apart, one set per meaning, and the codes orgscan writes
into ``errors[]`` itself.

Every place that classifies an error code asks here, so "the bucket is not there" or "try
again later" means the same thing to the scan, the rule, ``verify --recompute`` and the
remediation plan.
"""

from __future__ import annotations

#: The bucket does not exist: S3's code, and HeadBucket's (no body, so the HTTP status is the
#: code). In the order a remediation check lists them in plan.json.
MISSING_BUCKET_CODES: tuple[str, ...] = ("404", "NoSuchBucket", "NotFound")

#: The bucket exists (or may) but the scan's credentials may not read it.
ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "403",
        "Forbidden",
        "AllAccessDisabled",
        "AccountProblem",
        "InvalidAccessKeyId",
    }
)

#: A call refused by a policy; the message then tells whether an organization policy (SCP,
#: RCP) denied it explicitly.
POLICY_DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException"})

# Throttling answers every AWS service may give.
_THROTTLED = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "SlowDown",
    }
)

#: The call was throttled: botocore's retries back off and try again.
THROTTLING_CODES = _THROTTLED | {
    "RequestThrottled",
    "RequestThrottledException",
    "ProvisionedThroughputExceededException",
    "BandwidthLimitExceeded",
}

#: "Try again later", nothing about the request or the credentials: before anything was
#: scanned, such a failure of STS or Organizations is exit 3, not bad input.
TRANSIENT_CODES = _THROTTLED | {
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalFailure",
    "InternalError",
    "InternalServerError",
    "RequestTimeout",
    "RequestTimeoutException",
    "500",
    "502",
    "503",
    "504",
}

#: A region that is not enabled for the account answers with one of these.
REGION_DISABLED_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "AuthFailure",
        "OptInRequired",
    }
)

#: S3's answer for a bucket that has no Object Lock configuration: "not locked", not a failure.
LOCK_NOT_FOUND = "ObjectLockConfigurationNotFoundError"

# The codes orgscan writes into errors[] itself.
#: A region ``DescribeRegions`` does not list as enabled for the account.
REGION_NOT_ENABLED = "RegionNotEnabled"
#: A call an organization policy (SCP, RCP) explicitly denied.
DENIED_BY_ORGANIZATION_POLICY = "DeniedByOrganizationPolicy"
#: Work the scan did not get to because it was interrupted (Ctrl-C, SIGTERM).
INTERRUPTED = "Interrupted"
#: ``verify --recompute``: no recorded AWS response reads the bucket, so nothing is evidenced.
NOT_RECORDED = "NotRecorded"
