"""What moto cannot simulate, answered by botocore hooks as AWS answers it.

moto knows no SCPs. ``scp_denials`` answers ``DescribeTrails`` of an account, in a region its
``AccountSpec.scp_denied_regions`` names, as AWS answers a call an SCP explicitly denies, before
the request is built; every other call goes on to moto. moto never reports a failed delivery and
checks no bucket policy: ``delivery_failures`` adds the ``LatestDeliveryError`` a
``TrailSpec.delivery_error`` names to moto's ``GetTrailStatus`` answer, without the recent
``LatestDeliveryTime`` moto gives every logging trail, as long as the bucket's live policy in
moto does not let CloudTrail deliver the trail's logs (``bucket_policy.grants_delivery``): once
it does, the trail delivers again, as in AWS. ``simulated_answers`` registers both. ``FakeAws``
answers the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from botocore.awsrequest import AWSResponse, HTTPHeaders

from orgscan.aws.calls import ACCOUNT_CONTEXT_KEY
from orgscan.bucket_policy import grants_delivery, statements
from orgscan.simulate.logfiles import written_before_lock
from orgscan.simulate.spec import SimulatedOrg, scp_deny_message

#: The code CloudTrail gives a call an SCP denies.
SCP_DENY_CODE = "AccessDeniedException"


def scp_denials(denied: Mapping[str, tuple[str, ...]]) -> Callable[[Any], None]:
    """A ``configure_session`` hook: ``DescribeTrails`` by account id in its denied regions
    (``SimulatedOrg.scp_denied``) fails with AWS's explicit-deny AccessDenied."""

    def deny(context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        # The account a call acts for is set by SessionFactory from the call's credentials;
        # the caller's own calls carry none, and the management account is never denied.
        account_id = context.get(ACCOUNT_CONTEXT_KEY)
        region = context.get("client_region")
        if not account_id or region not in denied.get(account_id, ()):
            return None
        message = scp_deny_message(account_id)
        url = f"https://cloudtrail.{region}.amazonaws.com/"
        response = AWSResponse(url, 400, HTTPHeaders(), None)
        parsed = {
            "Error": {"Code": SCP_DENY_CODE, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": 400, "HTTPHeaders": {}, "RequestId": "scp"},
        }
        return response, parsed

    def configure(session: Any) -> None:
        session.register("before-call.cloudtrail.DescribeTrails", deny)

    return configure


#: Where the trail a ``GetTrailStatus`` call names is kept between its two hooks.
_TRAIL_KEY = "orgscan_simulated_trail"


_KEY_KEY = "orgscan_object_key"


def live_policy(bucket: str) -> str | None:
    """The policy of ``bucket`` as the in-process moto holds it now (None: no policy, or no
    such bucket)."""
    from moto.s3.models import s3_backends

    found = s3_backends.bucket_accounts.get(bucket)
    if found is None:
        return None
    partition, account = found
    policy = s3_backends[account][partition].buckets[bucket].policy
    return policy.decode() if isinstance(policy, bytes) else policy


def delivery_failures(failing: Mapping[str, tuple[str, str]]) -> Callable[[Any], None]:
    """A ``configure_session`` hook: ``GetTrailStatus`` of a trail ARN in ``failing`` (ARN ->
    its delivery error and its bucket) reports that error and no delivery since, while the
    bucket's policy does not let CloudTrail deliver the trail's logs."""

    def remember(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_TRAIL_KEY] = params.get("Name")

    def fail(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        arn = str(context.get(_TRAIL_KEY))
        if arn not in failing or "Error" in parsed:
            return
        error, bucket = failing[arn]
        if grants_delivery(statements(live_policy(bucket)), f"arn:aws:s3:::{bucket}", arn):
            return
        parsed["LatestDeliveryError"] = error
        parsed.pop("LatestDeliveryTime", None)

    def configure(session: Any) -> None:
        session.register("provide-client-params.cloudtrail.GetTrailStatus", remember)
        session.register("after-call.cloudtrail.GetTrailStatus", fail)

    return configure


def prelock_files(session: Any) -> None:
    """A ``configure_session`` hook: ``HeadObject`` of a simulated log file written before its
    bucket's lock (``logfiles.written_before_lock``) answers no retention, as AWS does for a bucket
    locked in place (moto cannot build one: it gave the file the default retention)."""

    def remember(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_KEY_KEY] = params.get("Key")

    def strip(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if written_before_lock(str(context.get(_KEY_KEY))) and "Error" not in parsed:
            parsed.pop("ObjectLockMode", None)
            parsed.pop("ObjectLockRetainUntilDate", None)

    session.register("provide-client-params.s3.HeadObject", remember)
    session.register("after-call.s3.HeadObject", strip)


def simulated_answers(org: SimulatedOrg) -> Callable[[Any], None]:
    """A ``configure_session`` hook answering everything moto cannot for ``org``: its SCP
    denials, its failing deliveries and its log files written before a lock."""
    buckets = {trail.trail_arn: trail.bucket_name for trail in org.trails}
    failing = {
        arn: (error, buckets[arn]) for arn, error in org.delivery_errors.items() if arn in buckets
    }
    hooks = (scp_denials(org.scp_denied), delivery_failures(failing), prelock_files)

    def configure(session: Any) -> None:
        for hook in hooks:
            hook(session)

    return configure
