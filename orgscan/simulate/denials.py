"""Service control policies in moto: a botocore hook that denies what the simulation says.

moto knows no SCPs. ``scp_denials`` answers ``DescribeTrails`` of an account, in a region its
``AccountSpec.scp_denied_regions`` names, as AWS answers a call an SCP explicitly denies, before
the request is built; every other call goes on to moto. ``FakeAws`` answers the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from botocore.awsrequest import AWSResponse, HTTPHeaders

from orgscan.aws.calls import ACCOUNT_CONTEXT_KEY
from orgscan.simulate.spec import scp_deny_message

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
