"""The demo organization: a dozen accounts, each showing one case the scanner must get right.

Every account's ``note`` says what it demonstrates. The expected verdicts hold under
``DEMO_POLICY`` for a full scan over ``DEMO_REGIONS``. ``drifted`` describes the same organization
some weeks later, so that two demo runs diff into new failures, resolved, still failing,
unchanged and not assessed trails, and account verdicts that move.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

from orgscan.model import LockMode, ManagementEvents, Policy
from orgscan.simulate.demo_integrity import with_integrity
from orgscan.simulate.spec import (
    AccountSpec,
    BucketSpec,
    OrgSpec,
    PolicySpec,
    Retention,
    TrailSpec,
)

DEMO_REGIONS = ("us-east-1", "eu-west-1", "eu-central-1")
DEMO_POLICY = Policy(min_retention_days=90, require_log_file_validation=True)
#: The region of the trail the demo deliberately leaves out of its scan.
UNSCANNED_REGION = "ap-southeast-2"
#: The region where a service control policy denies one sandbox account's CloudTrail reads.
SCP_DENIED_REGION = "eu-central-1"
#: The delivery error CloudTrail reports for the demo's failing trail (a bucket policy that
#: no longer lets CloudTrail write).
FAILED_DELIVERY = "AccessDenied"
#: An account outside the organization (a security vendor) that owns a bucket a trail uses.
PARTNER_ACCOUNT_ID = "409876543210"

CENTRAL_BUCKET = "acme-log-archive-cloudtrail"
SECURITY = "/Root/Security"
PROD = "/Root/Workloads/Prod"
DEV = "/Root/Workloads/Dev"
SANDBOX = "/Root/Sandbox"

_COMPLIANCE_YEAR = Retention(LockMode.COMPLIANCE, days=365)

#: The actions that weaken a trail's protection (contract 5.3), for the demo's policies.
_WEAKENING = [
    "cloudtrail:StopLogging",
    "cloudtrail:DeleteTrail",
    "cloudtrail:UpdateTrail",
    "cloudtrail:PutEventSelectors",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutLifecycleConfiguration",
    "s3:PutBucketVersioning",
    "s3:BypassGovernanceRetention",
    "kms:DisableKey",
    "kms:ScheduleKeyDeletion",
    "kms:PutKeyPolicy",
]


def _policy(*statements: dict[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


_ALLOW_WEAKENING = _policy(
    {"Sid": "Deploy", "Effect": "Allow", "Action": ["cloudtrail:*", "s3:*"], "Resource": "*"}
)
_DENY_WEAKENING = _policy(
    {"Sid": "DenyTrailTampering", "Effect": "Deny", "Action": _WEAKENING, "Resource": "*"}
)
_DENY_BUT_ON_CALL = _policy(
    {
        "Sid": "DenyTrailTamperingButOnCall",
        "Effect": "Deny",
        "Action": _WEAKENING,
        "Resource": "*",
        "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/OnCallEngineer"}},
    }
)
_STOP_WITH_MFA = _policy(
    {
        "Sid": "StopTrailWithMfa",
        "Effect": "Allow",
        "Action": "cloudtrail:StopLogging",
        "Resource": "*",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    }
)
_BYPASS_GOVERNANCE = _policy(
    {
        "Sid": "ManageRetention",
        "Effect": "Allow",
        "Action": ["s3:BypassGovernanceRetention", "s3:DeleteObjectVersion"],
        "Resource": "*",
    }
)


def _own(
    name: str,
    ou_path: str,
    note: str,
    *,
    region: str = "us-east-1",
    multi_region: bool = False,
    object_lock: bool = False,
    retention: Retention | None = None,
    versioning: bool = False,
    deleted: bool = False,
    logging: bool = True,
    management_events: ManagementEvents = ManagementEvents.ALL,
    global_events: bool = True,
    delivery_error: str | None = None,
    logs_before_lock: int = 0,
    logs_after_lock: int = 0,
) -> AccountSpec:
    """An account with one trail into its own bucket ``acme-<name>-cloudtrail``."""
    bucket_name = f"acme-{name}-cloudtrail"
    return AccountSpec(
        name=name,
        ou_path=ou_path,
        note=note,
        buckets=(
            BucketSpec(
                name=bucket_name,
                region=region,
                object_lock=object_lock,
                retention=retention,
                versioning=versioning,
                deleted=deleted,
                logs_before_lock=logs_before_lock,
                logs_after_lock=logs_after_lock,
                # A trail that cannot deliver: its bucket's policy grants CloudTrail nothing.
                withholds_delivery=delivery_error is not None,
            ),
        ),
        trails=(
            TrailSpec(
                name=f"{name}-trail",
                home_region=region,
                bucket=bucket_name,
                multi_region=multi_region,
                logging=logging,
                management_events=management_events,
                global_events=global_events,
                delivery_error=delivery_error,
            ),
        ),
    )


def _into(
    name: str,
    ou_path: str,
    note: str,
    bucket: str,
    *,
    multi_region: bool = False,
    logging: bool = True,
) -> AccountSpec:
    """An account with one trail (us-east-1) into a bucket it does not own."""
    trail = TrailSpec(
        name=f"{name}-trail",
        home_region="us-east-1",
        bucket=bucket,
        multi_region=multi_region,
        logging=logging,
    )
    return AccountSpec(name=name, ou_path=ou_path, note=note, trails=(trail,))


def demo_spec() -> OrgSpec:
    """The demo organization as the scan should find it today."""
    members = (
        AccountSpec(
            name="log-archive",
            ou_path=SECURITY,
            note="owns the central CloudTrail bucket: Object Lock, COMPLIANCE, 365 days; its own "
            "multi-region trail into it protects it everywhere",
            trails=(
                TrailSpec(
                    name="log-archive-trail",
                    home_region="us-east-1",
                    bucket=CENTRAL_BUCKET,
                    multi_region=True,
                ),
            ),
            buckets=(
                BucketSpec(
                    name=CENTRAL_BUCKET,
                    region="us-east-1",
                    object_lock=True,
                    retention=_COMPLIANCE_YEAR,
                ),
            ),
        ),
        AccountSpec(
            name="security-tooling",
            ou_path=SECURITY,
            note="no trail of its own: the organization trail records only us-east-1",
        ),
        _own(
            "payments-prod",
            PROD,
            "own multi-region trail into a bucket without Object Lock: recorded, unprotected",
            multi_region=True,
            versioning=True,
        ),
        replace(
            _own(
                "orders-prod",
                PROD,
                "own locked bucket, COMPLIANCE for 1 year (a rule in years); its multi-region "
                "trail records data events only, no management events; an SCP denies everyone "
                "in it (root and the OrdersDeployer role) weakening the trail: tamper PASS",
                multi_region=True,
                object_lock=True,
                retention=Retention(LockMode.COMPLIANCE, years=1),
                management_events=ManagementEvents.NONE,
            ),
            roles=(PolicySpec("OrdersDeployer", _ALLOW_WEAKENING),),
            scps=(PolicySpec("DenyTrailTampering", _DENY_WEAKENING),),
        ),
        _into(
            "identity-prod",
            PROD,
            "own multi-region trail into the central log-archive bucket (another account's "
            "bucket), stopped: it records nothing",
            CENTRAL_BUCKET,
            multi_region=True,
            logging=False,
        ),
        replace(
            _own(
                "analytics-prod",
                PROD,
                "multi-region trail homed in eu-west-1, GOVERNANCE 120 days, locked in place: "
                "its October log files were written before the lock and have no retention; its "
                "RetentionAdmin role can bypass GOVERNANCE retention and delete log versions: "
                "tamper FAIL",
                region="eu-west-1",
                multi_region=True,
                object_lock=True,
                retention=Retention(LockMode.GOVERNANCE, days=120),
                logs_before_lock=5,
                logs_after_lock=4,
            ),
            roles=(PolicySpec("RetentionAdmin", _BYPASS_GOVERNANCE),),
        ),
        _own(
            "payments-dev",
            DEV,
            "Object Lock enabled but no default retention; its only trail is single-region",
            region="eu-central-1",
            object_lock=True,
        ),
        replace(
            _own(
                "orders-dev",
                DEV,
                "GOVERNANCE 30 days: shorter than the policy's 90; an SCP denies weakening the "
                "trail to all but the OnCallEngineer role, which may stop it only with MFA: "
                "tamper WARN",
                object_lock=True,
                retention=Retention(LockMode.GOVERNANCE, days=30),
            ),
            roles=(PolicySpec("OnCallEngineer", _STOP_WITH_MFA),),
            scps=(PolicySpec("DenyTrailTamperingButOnCall", _DENY_BUT_ON_CALL),),
        ),
        _own(
            "sandbox-alice",
            SANDBOX,
            "the trail's bucket was deleted after the trail was created",
            deleted=True,
        ),
        replace(
            _into(
                "sandbox-bob",
                SANDBOX,
                "trail into a bucket of an account outside the organization; an SCP denies "
                f"the scan's DescribeTrails in {SCP_DENIED_REGION} (an error row, region UNKNOWN)",
                "partner-siem-cloudtrail-intake",
            ),
            scp_denied_regions=(SCP_DENIED_REGION,),
        ),
        _own(
            "sandbox-carol",
            SANDBOX,
            f"single-region trail in {UNSCANNED_REGION}, which the demo does not scan: no finding",
            region=UNSCANNED_REGION,
        ),
        replace(
            _own("sandbox-legacy", SANDBOX, "closed account: its trail is never scanned"),
            closed=True,
        ),
        AccountSpec(name="sandbox-dave", ou_path=SANDBOX, note="no trail at all"),
        AccountSpec(
            name="partner-siem",
            in_organization=False,
            fixed_id=PARTNER_ACCOUNT_ID,
            note="a vendor's account outside the organization; the scan cannot read its bucket",
            buckets=(BucketSpec(name="partner-siem-cloudtrail-intake", region="us-east-1"),),
        ),
        # Created last, so that every other account keeps its id.
        _own(
            "audit-prod",
            PROD,
            "multi-region trail into its own locked bucket, but KMS and RDS Data API events "
            "excluded: management events Partial, recorded nowhere in full but where the "
            "organization trail records",
            multi_region=True,
            object_lock=True,
            retention=_COMPLIANCE_YEAR,
            management_events=ManagementEvents.PARTIAL,
        ),
        _own(
            "billing-prod",
            PROD,
            "multi-region trail into its own locked bucket that CloudTrail cannot deliver to "
            f"({FAILED_DELIVERY}, no delivery since): not delivering",
            multi_region=True,
            object_lock=True,
            retention=_COMPLIANCE_YEAR,
            delivery_error=FAILED_DELIVERY,
        ),
        _own(
            "legacy-prod",
            PROD,
            "single-region us-east-1 trail into its own locked bucket without global service "
            "events: it protects no region (the organization trail records us-east-1)",
            object_lock=True,
            retention=_COMPLIANCE_YEAR,
            global_events=False,
        ),
    )
    management = AccountSpec(
        name="management",
        note="the organization trail, into the central bucket, is single-region: it records "
        "every account in us-east-1 only",
        trails=(
            TrailSpec(
                name="acme-org-trail",
                home_region="us-east-1",
                bucket=CENTRAL_BUCKET,
                multi_region=False,
                organization=True,
            ),
        ),
    )
    return OrgSpec(
        management=with_integrity(management),
        log_archive_name="log-archive",
        members=tuple(with_integrity(account) for account in members),
        regions=DEMO_REGIONS,
        policy=DEMO_POLICY,
    )


def drifted(spec: OrgSpec) -> OrgSpec:
    """The same organization after a few realistic changes.

    - analytics-prod shortened its retention to 30 days (new failure);
    - payments-dev added a default retention (resolved);
    - orders-dev shortened 30 → 14 days (still failing, changed);
    - sandbox-dave created a trail into a new unlocked bucket (new failure);
    - sandbox-alice was closed, so its trail with the missing bucket leaves the scan: not
      assessed, never resolved.
    payments-prod and sandbox-bob still fail as before; the rest is unchanged.
    """
    changes: dict[str, Callable[[AccountSpec], AccountSpec]] = {
        "analytics-prod": lambda a: _with_retention(a, Retention(LockMode.GOVERNANCE, days=30)),
        "payments-dev": lambda a: _with_retention(a, _COMPLIANCE_YEAR),
        "orders-dev": lambda a: _with_retention(a, Retention(LockMode.GOVERNANCE, days=14)),
        "sandbox-dave": lambda a: with_integrity(
            _own(a.name, a.ou_path, "new trail into an unlocked bucket")
        ),
        "sandbox-alice": lambda a: replace(a, closed=True),
    }
    members = tuple(
        changes[account.name](account) if account.name in changes else account
        for account in spec.members
    )
    return replace(spec, members=members)


def _with_retention(account: AccountSpec, retention: Retention) -> AccountSpec:
    """``account`` with the default retention of its (single) bucket replaced."""
    (bucket,) = account.buckets
    return replace(account, buckets=(replace(bucket, object_lock=True, retention=retention),))
