"""Apply without AWS: ordering, stopping at the first failure, checks, the result file."""

from __future__ import annotations

import json
from collections.abc import Set as AbstractSet
from typing import Any

from botocore import xform_name
from botocore.exceptions import ClientError

from orgscan.aws.sessions import AssumeRoleError
from orgscan.remediation.apply import StepStatus, apply_plan, write_apply_result
from tests.remediation.builders import LOG_ARCHIVE, MGMT
from tests.remediation.samples import rich_plan

#: What each read answers when there is nothing there yet (the step is not done).
ABSENT = {
    "head_bucket": "404",
    "get_public_access_block": "NoSuchPublicAccessBlockConfiguration",
    "get_bucket_encryption": "ServerSideEncryptionConfigurationNotFoundError",
    "get_object_lock_configuration": "ObjectLockConfigurationNotFoundError",
    "get_bucket_policy": "NoSuchBucketPolicy",
    "get_bucket_replication": "ReplicationConfigurationNotFoundError",
}


class FakeClient:
    """Records calls; raises for operations named in ``failing``; reads answer "nothing there"
    (or, with ``done``, a state on which every check holds); ``denied`` reads are refused."""

    def __init__(
        self,
        account: str,
        region: str,
        calls: list[tuple[str, str, str]],
        failing: AbstractSet[str],
        done: bool,
        denied: AbstractSet[str] = frozenset(),
    ) -> None:
        self.account, self.region, self.calls = account, region, calls
        self.failing, self.done, self.denied = failing, done, denied

    def __getattr__(self, method: str) -> Any:
        def call(**kwargs: Any) -> dict[str, Any]:
            self.calls.append((self.account, self.region, method))
            if method in self.failing or method in self.denied:
                raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, method)
            if method == "get_bucket_acl":
                return {"Grants": []}
            if method == "get_trail" and not self.done:
                # Every trail still delivers to the bucket it had when the run scanned it.
                return {"Trail": {"S3BucketName": SCANNED_BUCKETS[kwargs["Name"]]}}
            if method.startswith(("get_", "head_")) and (
                not self.done or method == "get_bucket_replication"
            ):
                if method in ABSENT:
                    raise ClientError(
                        {"Error": {"Code": ABSENT[method], "Message": "none"}}, method
                    )
                return {}
            if method == "get_bucket_policy":
                bucket = kwargs["Bucket"]
                policy = (
                    next(
                        s.parameters["Policy"]
                        for e in rich_plan().entries
                        for s in e.steps
                        if s.operation == "PutBucketPolicy" and s.parameters["Bucket"] == bucket
                    )
                    if bucket.endswith("-locked")
                    else None
                )
                if policy is None:
                    raise ClientError(
                        {"Error": {"Code": "NoSuchBucketPolicy", "Message": "none"}}, method
                    )
                return {"Policy": policy}
            return _DONE_RESPONSE | {
                "Trail": {"S3BucketName": TRAIL_BUCKETS.get(kwargs.get("Name", ""), "")}
            }

        return call


#: A response on which the check of every step of ``rich_plan()`` holds.
_DONE_RESPONSE: dict[str, Any] = {
    "Status": "Enabled",
    "PublicAccessBlockConfiguration": dict.fromkeys(
        ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"], True
    ),
    "ServerSideEncryptionConfiguration": {
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
    },
    "ObjectLockConfiguration": {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 90}},
    },
}
SCANNED_BUCKETS = {
    arn: entry.bucket_name for entry in rich_plan().entries for arn in entry.findings
}
TRAIL_BUCKETS = {
    arn: entry.new_bucket_name
    for entry in rich_plan().entries
    for arn in entry.findings
    if entry.new_bucket_name
}


class FakeClients:
    """A client factory over ``FakeClient``s; ``deny`` accounts cannot be assumed."""

    def __init__(
        self,
        failing: AbstractSet[str] = frozenset(),
        done: bool = False,
        deny: AbstractSet[str] = frozenset(),
        denied: AbstractSet[str] = frozenset(),
    ) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.failing, self.done, self.deny, self.denied = set(failing), done, deny, denied

    def client(self, account_id: str, service: str, region: str) -> FakeClient:
        if account_id in self.deny:
            raise AssumeRoleError(account_id, "AccessDenied", "not allowed")
        return FakeClient(account_id, region, self.calls, self.failing, self.done, self.denied)


def _writes(clients: FakeClients) -> list[tuple[str, str, str]]:
    return [call for call in clients.calls if not call[2].startswith(("get_", "head_"))]


def test_apply_runs_every_step_in_plan_order():
    plan = rich_plan()
    clients = FakeClients()
    result = apply_plan(plan, clients, now=lambda: "2026-11-27T10:00:00Z")
    assert result.ok
    assert [o.status for o in result.outcomes] == [StepStatus.APPLIED] * 22
    planned = [(s.account_id, s.region, s.operation) for e in plan.entries for s in e.steps]
    assert [(a, r, m) for a, r, m in _writes(clients)] == [
        (a, r, xform_name(op)) for a, r, op in planned
    ]


def test_a_failure_stops_the_account_and_the_bucket_but_not_other_accounts():
    plan = rich_plan()
    clients = FakeClients(failing={"put_bucket_policy"})
    result = apply_plan(plan, clients)
    assert not result.ok
    statuses = [(o.account_id, o.operation, o.status) for o in result.outcomes]
    first_failure = statuses.index((LOG_ARCHIVE, "PutBucketPolicy", StepStatus.FAILED))
    # Everything after the failure is not run: LOG_ARCHIVE's own steps, and MGMT's
    # UpdateTrail, which would point the org trail at an unfinished bucket.
    assert all(status is StepStatus.NOT_RUN for _, _, status in statuses[first_failure + 1 :])
    assert (MGMT, "UpdateTrail", StepStatus.NOT_RUN) in statuses
    failed = result.outcomes[first_failure]
    assert (failed.error_code, failed.message) == ("AccessDenied", "no")
    assert len(_writes(clients)) == first_failure + 1


def test_steps_already_done_are_not_repeated():
    clients = FakeClients(done=True)
    result = apply_plan(rich_plan(), clients)
    assert result.ok
    assert {o.status for o in result.outcomes} == {StepStatus.ALREADY_DONE}
    assert _writes(clients) == []


def test_a_check_that_cannot_read_stops_the_step_and_changes_nothing():
    # AccessDenied on a check is "cannot tell", never "not done": nothing is written.
    clients = FakeClients(denied={"head_bucket", "get_object_lock_configuration"})
    result = apply_plan(rich_plan(), clients, accounts={LOG_ARCHIVE})
    assert not result.ok
    first = result.outcomes[0]
    assert (first.operation, first.status, first.error_code) == (
        "CreateBucket",
        StepStatus.FAILED,
        "AccessDenied",
    )
    assert first.message == ("cannot read the current state (HeadBucket on app-logs-locked): no")
    assert _writes(clients) == []


def test_an_account_whose_role_cannot_be_assumed_fails_alone():
    result = apply_plan(rich_plan(), FakeClients(deny={MGMT}), accounts={MGMT})
    assert [(o.status, o.error_code) for o in result.outcomes] == [
        (StepStatus.FAILED, "AccessDenied")
    ]
    assert "cannot assume the role in 111111111111" in (result.outcomes[0].message or "")
    assert result.accounts == (MGMT,)


def test_result_file_is_written_once_per_apply(tmp_path):
    result = apply_plan(
        rich_plan(), FakeClients(), accounts={MGMT}, now=lambda: "2026-11-27T10:00:00Z"
    )
    first = write_apply_result(tmp_path, result)
    second = write_apply_result(tmp_path, result)
    assert first.name == "apply-20261127T100000Z.json"
    assert second.name == "apply-20261127T100000Z-2.json"
    document = json.loads(first.read_text(encoding="utf-8"))
    assert document["ok"] is True
    assert document["counts"] == {"applied": 1, "already-done": 0, "failed": 0, "not-run": 0}
    assert document["steps"][0]["operation"] == "UpdateTrail"
    assert document["steps"][0]["status"] == "applied"
