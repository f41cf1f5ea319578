"""The in-process responder's answers about identities and the organization: STS, EC2's region
list and Organizations (``orgscan.simulate.fakeaws``), each a function of the index, the request
and the calling account."""

from __future__ import annotations

import json
import urllib.parse
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

from botocore.awsrequest import AWSResponse

from orgscan.model import AccountState
from orgscan.simulate.fakeaws_index import ORGANIZATION_ID, ROOT_ID, Answer, FakeIndex
from orgscan.simulate.fakeaws_wire import KEY_PREFIX, body_text, json_reply, response, xml_reply

#: Organizations' own page size for the account and OU listings.
ORG_PAGE_SIZE = 20
_STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
_EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"


# ---------------------------------------------------------------------- STS, EC2


def _get_caller_identity(index: FakeIndex, request: Any, caller: str) -> AWSResponse:
    arn = f"arn:aws:iam::{caller}:user/bench"
    return xml_reply(
        request,
        _STS_NS,
        "GetCallerIdentity",
        f"<Arn>{arn}</Arn><UserId>AIDAFAKE</UserId><Account>{caller}</Account>",
    )


def _assume_role(index: FakeIndex, request: Any, caller: str) -> AWSResponse:
    params = urllib.parse.parse_qs(body_text(request.body))
    role_arn = params["RoleArn"][0]
    account = role_arn.split(":")[4]
    expires = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = (
        f"<Credentials><AccessKeyId>{KEY_PREFIX}{account}</AccessKeyId>"
        f"<SecretAccessKey>fake-secret</SecretAccessKey><SessionToken>fake-token-{account}"
        f"</SessionToken><Expiration>{expires}</Expiration></Credentials>"
        f"<AssumedRoleUser><AssumedRoleId>AROAFAKE:bench</AssumedRoleId>"
        f"<Arn>{escape(role_arn)}</Arn></AssumedRoleUser>"
    )
    return xml_reply(request, _STS_NS, "AssumeRole", result)


def _describe_regions(index: FakeIndex, request: Any, caller: str) -> AWSResponse:
    items = "".join(
        f"<item><regionName>{region}</regionName><regionEndpoint>ec2.{region}.amazonaws.com"
        f"</regionEndpoint><optInStatus>opt-in-not-required</optInStatus></item>"
        for region in index.spec.regions
    )
    body = (
        f'<DescribeRegionsResponse xmlns="{_EC2_NS}"><requestId>fake</requestId>'
        f"<regionInfo>{items}</regionInfo></DescribeRegionsResponse>"
    )
    return response(request, 200, body.encode(), "text/xml")


# ---------------------------------------------------------------------- Organizations


def _describe_organization(index: FakeIndex, request: Any, caller: str) -> AWSResponse:
    management_id = index.management_id
    return json_reply(
        request,
        {
            "Organization": {
                "Id": ORGANIZATION_ID,
                "Arn": f"arn:aws:organizations::{management_id}:organization/{ORGANIZATION_ID}",
                "FeatureSet": "ALL",
                "MasterAccountId": management_id,
                "MasterAccountArn": f"arn:aws:organizations::{management_id}:account/"
                f"{ORGANIZATION_ID}/{management_id}",
                "MasterAccountEmail": index.spec.management.email,
            }
        },
    )


def _list_roots(index: FakeIndex, request: Any, caller: str) -> AWSResponse:
    return json_reply(
        request,
        {
            "Roots": [
                {
                    "Id": ROOT_ID,
                    "Name": "Root",
                    "PolicyTypes": [],
                    "Arn": f"arn:aws:organizations::{index.management_id}:root/"
                    f"{ORGANIZATION_ID}/{ROOT_ID}",
                }
            ]
        },
    )


def _list_ous(index: FakeIndex, request: Any, caller: str) -> AWSResponse:
    params = json.loads(request.body)
    names = {ou: path.rsplit("/", 1)[1] for path, ou in index.ou_ids.items()}
    page, token = _page(index.children[params["ParentId"]][0], params.get("NextToken"))
    reply: dict[str, Any] = {
        "OrganizationalUnits": [
            {
                "Id": ou,
                "Name": names[ou],
                "Arn": f"arn:aws:organizations::{index.management_id}:ou/{ORGANIZATION_ID}/{ou}",
            }
            for ou in page
        ]
    }
    return json_reply(request, reply | ({"NextToken": token} if token else {}))


def _list_accounts(index: FakeIndex, request: Any, caller: str) -> AWSResponse:
    params = json.loads(request.body)
    page, token = _page(index.children[params["ParentId"]][1], params.get("NextToken"))
    accounts = []
    for account_id in page:
        spec = index.accounts[account_id]
        state = AccountState.SUSPENDED if spec.closed else AccountState.ACTIVE
        accounts.append(
            {
                "Id": account_id,
                "Name": spec.name,
                "Email": spec.email,
                "Status": state,
                "State": state,
                "JoinedMethod": "CREATED",
                "JoinedTimestamp": 1767225600.0,
                "Arn": f"arn:aws:organizations::{index.management_id}:account/"
                f"{ORGANIZATION_ID}/{account_id}",
            }
        )
    return json_reply(request, {"Accounts": accounts} | ({"NextToken": token} if token else {}))


def _page(items: list[str], token: str | None) -> tuple[list[str], str | None]:
    start = int(token or 0)
    end = start + ORG_PAGE_SIZE
    return items[start:end], (str(end) if end < len(items) else None)


#: Operation -> answer, for the operations of this module.
ACCOUNT_ANSWERS: dict[str, Answer] = {
    "sts.GetCallerIdentity": _get_caller_identity,
    "sts.AssumeRole": _assume_role,
    "ec2.DescribeRegions": _describe_regions,
    "organizations.DescribeOrganization": _describe_organization,
    "organizations.ListRoots": _list_roots,
    "organizations.ListOrganizationalUnitsForParent": _list_ous,
    "organizations.ListAccountsForParent": _list_accounts,
}
