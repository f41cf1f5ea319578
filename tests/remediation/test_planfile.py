"""plan.json: a faithful round trip, and a loader that refuses anything outside the format."""

from __future__ import annotations

import json

import pytest

from orgscan.remediation import Strategy
from orgscan.remediation.planfile import PlanFileError, dumps, load_plan, loads
from tests.remediation.samples import rich_plan


@pytest.mark.parametrize("strategy", list(Strategy))
def test_round_trip(strategy):
    plan = rich_plan(strategy=strategy)
    assert loads(dumps(plan)) == plan
    assert dumps(loads(dumps(plan))) == dumps(plan)


def test_document_shape():
    document = json.loads(dumps(rich_plan()))
    assert document["schema_version"] == 2
    assert document["retention"] == {"mode": "GOVERNANCE", "days": 90}
    step = document["entries"][0]["steps"][0]
    assert set(step) == {
        "account_id",
        "region",
        "service",
        "operation",
        "parameters",
        "description",
        "fixes",
        "check",
        "guards",
    }
    assert step["check"] == {
        "operation": "HeadBucket",
        "parameters": {"Bucket": "app-logs-locked", "ExpectedBucketOwner": "222222222222"},
        "condition": None,
        "absent_codes": ["404", "NoSuchBucket", "NotFound"],
    }
    lock = document["entries"][0]["steps"][5]
    assert [guard["kind"] for guard in lock["guards"]] == ["query"]
    assert lock["guards"][0]["operation"] == "GetObjectLockConfiguration"


def _tampered(change) -> str:
    document = json.loads(dumps(rich_plan()))
    change(document)
    return json.dumps(document)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["entries"][0]["steps"][0].update(operation="DeleteBucket"), "not allowed"),
        (lambda d: d["entries"][0]["steps"][0].update(service="iam"), "plan format"),
        (lambda d: d["entries"][0]["steps"][0].update(account_id="12345"), "12-digit"),
        (
            lambda d: d["entries"][0]["steps"][0]["check"].update(operation="DeleteObject"),
            "not allowed",
        ),
        (lambda d: d["entries"][0]["steps"][0].update(region="us-east-1; rm -rf /"), "region"),
        (lambda d: d.update(schema_version=3), "schema_version"),
        (lambda d: d.update(schema_version=True), "schema_version"),
        (lambda d: d["entries"][0]["steps"][0].pop("guards"), "plan format"),
        (
            lambda d: d["entries"][0]["steps"][5]["guards"][0].update(operation="PutBucketAcl"),
            "not allowed",
        ),
        (lambda d: d["entries"][0]["steps"][5]["guards"][0].update(kind="shell"), "plan format"),
        (lambda d: d["entries"][0].pop("steps"), "plan format"),
        (lambda d: d["retention"].update(days=True), "plan format"),
    ],
)
def test_loader_refuses_tampered_plans(change, message):
    with pytest.raises(PlanFileError, match=message):
        loads(_tampered(change))


def test_unreadable_and_invalid_files(tmp_path):
    with pytest.raises(PlanFileError, match="cannot be read"):
        load_plan(tmp_path / "missing.json")
    broken = tmp_path / "plan.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(PlanFileError, match="not valid JSON"):
        load_plan(broken)


def test_a_plan_of_the_previous_format_still_loads():
    document = json.loads(dumps(rich_plan()))
    document["schema_version"] = 1
    for entry in document["entries"]:
        for step in entry["steps"]:
            step.pop("guards")
            step["check"].pop("absent_codes")
    plan = loads(json.dumps(document))
    assert all(
        step.guards == () and step.check is not None and step.check.absent_codes == ()
        for entry in plan.entries
        for step in entry.steps
    )
    assert [entry.bucket_name for entry in plan.entries] == [
        entry.bucket_name for entry in rich_plan().entries
    ]
