"""Collecting tamper-path sources from (moto's) AWS: IAM, bucket policy, SCPs, once each."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from orgscan.model import Status
from orgscan.tamper.collect import TrailSubject, assess
from orgscan.tamper.evaluate import Organization
from tests.ops.test_iam_policy import tamper_actions

REGION = "us-east-1"


class _Clients:
    """Clients acting as each account (moto isolates accounts by assumed credentials); the
    calls are counted."""

    def __init__(self, caller: str) -> None:
        self.caller = caller
        self.calls: list[tuple[str, str]] = []
        self.actions: set[str] = set()

    def client(self, account_id: str, service: str, region: str) -> Any:
        self.calls.append((account_id, service))
        session: Any = _session(account_id, self.caller)  # any service, named at run time
        client = session.client(service, region_name=region)
        client.meta.events.register("before-call.*.*", self._action)
        return client

    def _action(self, event_name: str, **_: Any) -> None:
        _before, service, operation = event_name.split(".")  # before-call.<service>.<Operation>
        self.actions.add(f"{service}:{operation}")


def _session(account_id: str, caller: str) -> boto3.Session:
    if account_id == caller:
        return boto3.Session()
    role = f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole"
    creds = boto3.client("sts").assume_role(RoleArn=role, RoleSessionName="tamper-test")[
        "Credentials"
    ]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def _deny_scp(org: Any, account_id: str) -> None:
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    content = {
        "Statement": [
            {
                "Sid": "KeepTrail",
                "Effect": "Deny",
                "Action": "cloudtrail:StopLogging",
                "Resource": "*",
            }
        ]
    }
    policy = org.create_policy(
        Name="guard", Description="", Type="SERVICE_CONTROL_POLICY", Content=json.dumps(content)
    )["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=policy, TargetId=account_id)


@pytest.mark.usefixtures("aws_env")
def test_sources_are_read_once_per_account_and_evaluated() -> None:
    with mock_aws():
        _read_once_and_evaluate()


def _read_once_and_evaluate() -> None:
    org = boto3.client("organizations", region_name=REGION)
    org.create_organization(FeatureSet="ALL")
    account = boto3.client("sts").get_caller_identity()["Account"]
    member = org.create_account(Email="m@example.com", AccountName="m")["CreateAccountStatus"]
    member_id = org.describe_create_account_status(CreateAccountRequestId=member["Id"])[
        "CreateAccountStatus"
    ]["AccountId"]
    iam = _session(member_id, account).client("iam")
    iam.create_role(
        RoleName="LogAdmin",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )
    iam.put_role_policy(
        RoleName="LogAdmin",
        PolicyName="admin",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Sid": "Ops", "Effect": "Allow", "Action": "cloudtrail:*", "Resource": "*"}
                ],
            }
        ),
    )
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="org-trail-logs")
    _deny_scp(org, member_id)
    subject = TrailSubject(
        f"arn:aws:cloudtrail:{REGION}:{member_id}:trail/t",
        member_id,
        REGION,
        "org-trail-logs",
        account,  # the log bucket is in the management account
        REGION,
        governance=False,
    )
    clients = _Clients(account)
    organization = Organization(account, "o-x")
    found = assess([subject, subject], clients, REGION, organization, account)
    rows = {(row.principal_arn.split(":")[-1], row.action): row for row in found.weakeners}
    stop = rows[("role/LogAdmin", "cloudtrail:StopLogging")]
    assert stop.granted_by == f"arn:aws:iam::{member_id}:role/LogAdmin:inline/admin#Ops"
    assert stop.blocked_by is not None
    assert stop.blocked_by.endswith("#KeepTrail")
    assert rows[("role/LogAdmin", "cloudtrail:DeleteTrail")].blocked_by is None
    assert found.statuses[subject.trail_arn][0] is Status.FAIL
    assert clients.calls.count((member_id, "iam")) == 1  # once per owning account
    bucket_rows = [row for row in found.weakeners if row.target.value == "bucket"]
    assert bucket_rows  # the management account's root, whom no SCP binds
    assert all(row.management_account for row in bucket_rows)
    # The policies grant exactly these reads (kms:GetKeyPolicy is read for a trail's key).
    assert clients.actions | {"kms:GetKeyPolicy"} == tamper_actions()


class _Parents:
    """An Organizations client whose ListParents gives ``parents`` for every child."""

    def __init__(self, parents: list[dict[str, str]]) -> None:
        self.parents = parents

    def list_parents(self, ChildId: str) -> dict[str, Any]:
        return {"Parents": self.parents}


class _OneClient:
    def __init__(self, client: Any) -> None:
        self.organizations = client

    def client(self, account_id: str, service: str, region: str) -> Any:
        return self.organizations


@pytest.mark.parametrize(
    "parents",
    [[], [{"Id": "ou-a", "Type": "ORGANIZATIONAL_UNIT"}] * 2, [{"Id": "ou-a", "Type": "X"}]],
    ids=["none", "two", "a-loop"],
)
def test_an_account_path_that_cannot_be_read_is_unread_not_a_crash(parents: Any) -> None:
    from orgscan.tamper.reader import Reader
    from orgscan.tamper.sources import Unread

    reader = Reader(_OneClient(_Parents(parents)), "us-east-1", "111111111111")
    with pytest.raises(Unread, match="organizations 222222222222"):
        reader.org_policies("222222222222")
