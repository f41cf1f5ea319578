"""The in-process responder's answers about policies: the tamper-path reads (contract 5.3).

IAM's ``GetAccountAuthorizationDetails`` (each account's roles and inline policies from the
description, plus the ``OrganizationAccountAccessRole`` moto gives every member, with no policy
as in moto), S3's ``GetBucketPolicy`` and Organizations'
``ListParents``, ``ListPoliciesForTarget`` and ``DescribePolicy`` (the AWS-managed allow-all
SCP and RCP at every level, as moto attaches them, and each account's own SCPs). A bucket of
the description has the policy it was built with (``fake_bucket_policy``); a trail's KMS key
answers ``GetKeyPolicy`` with moto's default key policy (``fakeaws_integrity``).
"""

from __future__ import annotations

import json
import urllib.parse
import zlib
from typing import Any
from xml.sax.saxutils import escape

from botocore.awsrequest import AWSResponse

from orgscan.simulate.fakeaws_index import ORGANIZATION_ID, ROOT_ID, Answer, FakeIndex
from orgscan.simulate.fakeaws_resources import fake_bucket_policy, readable_bucket
from orgscan.simulate.fakeaws_wire import (
    body_text,
    json_error,
    json_reply,
    response,
    s3_error,
    xml_reply,
)
from orgscan.simulate.spec import PolicySpec

_IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"
_ACCESS_ROLE = "OrganizationAccountAccessRole"
_CREATED = "2026-01-01T00:00:00Z"
_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
)
#: The AWS-managed policies moto attaches to the root, every OU and every account.
_MANAGED = {
    "p-FullAWSAccess": (
        "FullAWSAccess",
        "SERVICE_CONTROL_POLICY",
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
            }
        ),
    ),
    "p-RCPFullAWSAccess": (
        "RCPFullAWSAccess",
        "RESOURCE_CONTROL_POLICY",
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
                ],
            }
        ),
    ),
}


def _role(account_id: str, name: str, policies: list[PolicySpec]) -> str:
    inline = "".join(
        f"<member><PolicyName>{escape(p.name)}</PolicyName><PolicyDocument>"
        f"{escape(urllib.parse.quote(p.document))}</PolicyDocument></member>"
        for p in policies
    )
    return (
        f"<member><Path>/</Path><RoleName>{escape(name)}</RoleName>"
        f"<RoleId>AROAFAKE{zlib.crc32(f'{account_id}/{name}'.encode()):012d}</RoleId>"
        f"<Arn>arn:aws:iam::{account_id}:role/{escape(name)}</Arn>"
        f"<CreateDate>{_CREATED}</CreateDate><AssumeRolePolicyDocument>"
        f"{escape(urllib.parse.quote(_TRUST))}</AssumeRolePolicyDocument>"
        f"<InstanceProfileList/><RolePolicyList>{inline}</RolePolicyList>"
        f"<AttachedManagedPolicies/><Tags/></member>"
    )


def _authorization_details(index: FakeIndex, request: Any, caller: str) -> AWSResponse:
    account = index.accounts.get(caller)
    roles = [(role.name, [role]) for role in (account.roles if account else ())]
    if caller != index.management_id:
        roles.insert(0, (_ACCESS_ROLE, []))
    members = "".join(_role(caller, name, policies) for name, policies in sorted(roles))
    result = (
        f"<UserDetailList/><GroupDetailList/><RoleDetailList>{members}</RoleDetailList>"
        f"<Policies/><IsTruncated>false</IsTruncated>"
    )
    return xml_reply(request, _IAM_NS, "GetAccountAuthorizationDetails", result)


def _bucket_policy(index: FakeIndex, request: Any, caller: str) -> AWSResponse:
    bucket, error = readable_bucket(index, request, caller)
    if error is not None:
        return error
    assert bucket is not None
    policy = fake_bucket_policy(index, bucket.spec.name)
    if policy is not None:
        return response(request, 200, policy.encode(), "application/json")
    return s3_error(request, 404, "NoSuchBucketPolicy", "The bucket policy does not exist")


def _parents(index: FakeIndex) -> dict[str, str]:
    """Child id (OU or account) -> its parent's id."""
    return {
        child: parent
        for parent, (ous, accounts) in index.children.items()
        for child in (*ous, *accounts)
    }


def _list_parents(index: FakeIndex, request: Any, caller: str) -> AWSResponse:
    child = json.loads(body_text(request.body))["ChildId"]
    parent = _parents(index).get(child)
    if parent is None:
        return json_error(
            request, "ChildNotFoundException", "You specified a child that doesn't exist."
        )
    kind = "ROOT" if parent == ROOT_ID else "ORGANIZATIONAL_UNIT"
    return json_reply(request, {"Parents": [{"Id": parent, "Type": kind}]})


def _own_scps(index: FakeIndex) -> dict[str, tuple[str, PolicySpec]]:
    """Policy id -> (the account it is attached to, the SCP), ids in description order."""
    found: dict[str, tuple[str, PolicySpec]] = {}
    for account_id in index.ids.values():
        for scp in index.accounts[account_id].scps:
            found[f"p-fake{len(found) + 1:04d}"] = (account_id, scp)
    return found


def _summary(policy_id: str, name: str, kind: str, managed: bool) -> dict[str, Any]:
    folder = kind.lower()
    return {
        "Id": policy_id,
        "Arn": f"arn:aws:organizations::{ORGANIZATION_ID}:policy/{ORGANIZATION_ID}/{folder}/"
        f"{policy_id}",
        "Name": name,
        "Description": name,
        "Type": kind,
        "AwsManaged": managed,
    }


def _policies_for_target(index: FakeIndex, request: Any, caller: str) -> AWSResponse:
    asked = json.loads(body_text(request.body))
    target, kind = asked["TargetId"], asked["Filter"]
    found = [
        _summary(pid, name, kind, True) for pid, (name, typ, _) in _MANAGED.items() if typ == kind
    ]
    if kind == "SERVICE_CONTROL_POLICY":
        found += [
            _summary(pid, scp.name, kind, False)
            for pid, (owner, scp) in _own_scps(index).items()
            if owner == target
        ]
    return json_reply(request, {"Policies": found})


def _describe_policy(index: FakeIndex, request: Any, caller: str) -> AWSResponse:
    policy_id = json.loads(body_text(request.body))["PolicyId"]
    if policy_id in _MANAGED:
        name, kind, content = _MANAGED[policy_id]
        summary = _summary(policy_id, name, kind, True)
    elif policy_id in (own := _own_scps(index)):
        scp = own[policy_id][1]
        summary, content = (
            _summary(policy_id, scp.name, "SERVICE_CONTROL_POLICY", False),
            scp.document,
        )
    else:
        return json_error(
            request,
            "PolicyNotFoundException",
            "We can't find a policy with the PolicyId that you specified.",
        )
    return json_reply(request, {"Policy": {"PolicySummary": summary, "Content": content}})


#: Operation -> answer, for the operations of this module.
POLICY_ANSWERS: dict[str, Answer] = {
    "iam.GetAccountAuthorizationDetails": _authorization_details,
    "s3.GetBucketPolicy": _bucket_policy,
    "organizations.ListParents": _list_parents,
    "organizations.ListPoliciesForTarget": _policies_for_target,
    "organizations.DescribePolicy": _describe_policy,
}
