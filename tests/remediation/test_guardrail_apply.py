"""``remediate --apply --guardrails``: the run's SCPs and RCPs created and attached at the root
from the management account, in moto's Organizations (which stores both and enforces none)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from orgscan.remediation.apply import StepStatus
from orgscan.remediation.guardrail_apply import apply_guardrails, guardrails_text, policy_name
from orgscan.tamper.evaluate import Target, weakeners
from orgscan.tamper.guardrails import RCP, SCP, Guardrail, guardrails
from orgscan.weakeners import TargetKind
from tests.tamper.policies import LOGS, TRAIL_ARN, org, principal, stmt

MANAGEMENT = "123456789012"  # moto's default account: the organization's management account
REGION = "us-east-1"


def _document(sid: str, action: str, resource: str, principal: bool) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Deny",
        **({"Principal": "*"} if principal else {}),
        "Action": [action],
        "Resource": [resource],
    }
    return {"Version": "2012-10-17", "Statement": [statement]}


SCP_1 = Guardrail(
    "scp-1.json",
    SCP,
    _document(
        "DenyWeakenTrail1",
        "cloudtrail:StopLogging",
        "arn:aws:cloudtrail:us-east-1:222222222222:trail/org",
        principal=False,
    ),
)
RCP_1 = Guardrail(
    "rcp-1.json",
    RCP,
    _document("DenyWeakenBucket1", "s3:PutBucketPolicy", "arn:aws:s3:::org-logs", principal=True),
)


class _Caller:
    """The caller's own clients (the management account's credentials), noting every
    operation they send."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def client(self, account_id: str, service: str, region: str) -> Any:
        assert service == "organizations", service
        client = boto3.client("organizations", region_name=region)
        client.meta.events.register("before-call.organizations.*", self._note)
        return client

    def _note(self, model: Any, **_: Any) -> None:
        self.sent.append(model.name)


@pytest.fixture
def organizations() -> Iterator[Any]:
    """An organization with SCPs and RCPs enabled at its root."""
    with mock_aws():
        client: Any = boto3.client("organizations", region_name=REGION)
        client.create_organization(FeatureSet="ALL")
        root = client.list_roots()["Roots"][0]["Id"]
        for kind in (SCP, RCP):
            client.enable_policy_type(RootId=root, PolicyType=kind)
        yield client


def _attached(client: Any, kind: str) -> list[str]:
    root = client.list_roots()["Roots"][0]["Id"]
    policies = client.list_policies_for_target(TargetId=root, Filter=kind)["Policies"]
    return sorted(p["Name"] for p in policies if p["Name"].startswith("orgscan-"))


def test_policies_are_created_attached_and_a_second_run_changes_nothing(organizations):
    done = apply_guardrails([SCP_1, RCP_1], _Caller(), MANAGEMENT, REGION)
    assert [(o.operation, o.resource, o.status) for o in done] == [
        ("CreatePolicy", "orgscan-guardrail-scp-1", StepStatus.APPLIED),
        ("AttachPolicy", "orgscan-guardrail-scp-1", StepStatus.APPLIED),
        ("CreatePolicy", "orgscan-guardrail-rcp-1", StepStatus.APPLIED),
        ("AttachPolicy", "orgscan-guardrail-rcp-1", StepStatus.APPLIED),
    ]
    assert _attached(organizations, SCP) == ["orgscan-guardrail-scp-1"]
    assert _attached(organizations, RCP) == ["orgscan-guardrail-rcp-1"]
    [summary] = [
        p
        for p in organizations.list_policies(Filter=SCP)["Policies"]
        if p["Name"] == "orgscan-guardrail-scp-1"
    ]
    content = organizations.describe_policy(PolicyId=summary["Id"])["Policy"]["Content"]
    assert content == SCP_1.text

    again = apply_guardrails([SCP_1, RCP_1], _Caller(), MANAGEMENT, REGION)
    assert {o.status for o in again} == {StepStatus.ALREADY_DONE}
    names = [p["Name"] for p in organizations.list_policies(Filter=SCP)["Policies"]]
    assert names.count("orgscan-guardrail-scp-1") == 1  # reused, not made twice
    assert _attached(organizations, SCP) == ["orgscan-guardrail-scp-1"]


def test_a_policy_of_that_name_with_other_content_stops_without_changing_it(organizations):
    organizations.create_policy(
        Content=RCP_1.text,
        Description="someone else's",
        Name=policy_name(SCP_1),
        Type=SCP,
    )
    done = apply_guardrails([SCP_1, RCP_1], _Caller(), MANAGEMENT, REGION)
    assert [(o.operation, o.status) for o in done] == [
        ("CreatePolicy", StepStatus.FAILED),
        ("CreatePolicy", StepStatus.NOT_RUN),
    ]
    message = done[0].message or ""
    assert message.startswith("a policy named orgscan-guardrail-scp-1 (p-")
    assert message.endswith(
        ") exists with other content; it is not changed: compare it with this run's, then "
        "delete or rename it"
    )
    assert _attached(organizations, SCP) == []
    assert _attached(organizations, RCP) == []


def test_a_policy_type_not_enabled_stops_with_the_command_that_enables_it():
    with mock_aws():
        client: Any = boto3.client("organizations", region_name=REGION)
        client.create_organization(FeatureSet="ALL")
        root = client.list_roots()["Roots"][0]["Id"]
        client.enable_policy_type(RootId=root, PolicyType=SCP)
        done = apply_guardrails([SCP_1, RCP_1], _Caller(), MANAGEMENT, REGION)
        assert [(o.operation, o.status) for o in done] == [
            ("CreatePolicy", StepStatus.APPLIED),
            ("AttachPolicy", StepStatus.APPLIED),
            ("CreatePolicy", StepStatus.FAILED),
        ]
        assert done[-1].message == (
            "RESOURCE_CONTROL_POLICY is not enabled at the root; enable it with aws "
            f"organizations enable-policy-type --root-id {root} --policy-type "
            "RESOURCE_CONTROL_POLICY"
        )
        assert _attached(client, RCP) == []


def test_only_from_the_management_account():
    with mock_aws():
        boto3.client("organizations", region_name=REGION).create_organization(FeatureSet="ALL")
        done = apply_guardrails([SCP_1], _Caller(), "999999999999", REGION)
    assert [(o.operation, o.status, o.message) for o in done] == [
        (
            "CreatePolicy",
            StepStatus.FAILED,
            "account 999999999999 is not the organization's management account "
            "(123456789012): guardrails are attached only from it",
        )
    ]


def _many_scps() -> list[Guardrail]:
    """A run whose open rows, one role able to change 700 log buckets, need 6 SCPs."""
    targets = [
        Target(TRAIL_ARN, TargetKind.BUCKET, f"arn:aws:s3:::org-trail-logs-{i:04}", LOGS)
        for i in range(700)
    ]
    made = guardrails(weakeners(targets, [principal(stmt())], org(), []), [])
    return [p for p in made if p.kind == SCP]


def test_more_scps_than_the_root_has_room_for_stop_before_anything_is_created(organizations):
    scps = _many_scps()
    assert len(scps) == 6  # FullAWSAccess leaves the root room for 4
    caller = _Caller()
    done = apply_guardrails(scps, caller, MANAGEMENT, REGION)
    root = organizations.list_roots()["Roots"][0]["Id"]
    assert [(o.operation, o.resource, o.status, o.error_code, o.message) for o in done] == [
        (
            "AttachPolicy",
            root,
            StepStatus.FAILED,
            "StoppedByGuard",
            "SCPs to attach at the root: 6, room for 4 (5 attached at most, 1 attached now): "
            "nothing was created; attach them to OUs or accounts yourself, detach others from "
            "the root, or close tamper paths at their source so that fewer are needed "
            "(break_glass_principals drops accepted principals)",
        )
    ]
    assert caller.sent == ["DescribeOrganization", "ListRoots", "ListPoliciesForTarget"]
    names = [p["Name"] for p in organizations.list_policies(Filter=SCP)["Policies"]]
    assert names == ["FullAWSAccess"]
    assert "more than a root takes (5), so none will be created" in guardrails_text(scps)


def test_policies_attached_by_others_take_room_and_each_type_is_counted(organizations):
    root = organizations.list_roots()["Roots"][0]["Id"]
    for index in range(4):  # with RCPFullAWSAccess, the root's RCPs are full
        created = organizations.create_policy(
            Content=RCP_1.text, Description="", Name=f"theirs-{index}", Type=RCP
        )
        organizations.attach_policy(
            PolicyId=created["Policy"]["PolicySummary"]["Id"], TargetId=root
        )
    caller = _Caller()
    done = apply_guardrails([SCP_1, RCP_1], caller, MANAGEMENT, REGION)
    assert [(o.operation, o.status) for o in done] == [("AttachPolicy", StepStatus.FAILED)]
    assert (done[0].message or "").startswith(
        "RCPs to attach at the root: 1, room for 0 (5 attached at most, 5 attached now): "
    )
    assert caller.sent == ["DescribeOrganization", "ListRoots"] + ["ListPoliciesForTarget"] * 2
    assert _attached(organizations, SCP) == []


def test_a_full_root_of_this_runs_policies_applies_again_as_already_done(organizations):
    scps = [
        Guardrail(
            f"scp-{i}.json", SCP, {**SCP_1.document, "Statement": [{"Sid": f"S{i}", **_deny()}]}
        )
        for i in range(1, 5)
    ]
    first = apply_guardrails(scps, _Caller(), MANAGEMENT, REGION)
    assert {o.status for o in first} == {StepStatus.APPLIED}
    assert len(_attached(organizations, SCP)) == 4  # and FullAWSAccess: the root is full
    again = apply_guardrails(scps, _Caller(), MANAGEMENT, REGION)
    assert [o.status for o in again] == [StepStatus.ALREADY_DONE] * 8


def _deny() -> dict[str, Any]:
    return {"Effect": "Deny", "Action": ["cloudtrail:StopLogging"], "Resource": ["*"]}
