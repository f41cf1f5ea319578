"""Plan entries for the account verdicts' gaps: the trail changes, their checks and guards,
what --apply checks of them, the scripts' commands and the IAM policy."""

from __future__ import annotations

import dataclasses

from orgscan.model import (
    GapWhy,
    ManagementEvents,
    ReasonCode,
    ScanResult,
    Status,
)
from orgscan.remediation import RemediationSettings, build_plan, write_plan_files
from orgscan.remediation.iam_policy import remediation_policy
from orgscan.remediation.plan_model import EntryKind, Plan, PlanEntry
from orgscan.remediation.planfile import dumps, loads
from orgscan.remediation.ranking import first_action, first_action_text, rank_plan
from orgscan.remediation.safety import unsafe_steps
from orgscan.remediation.scripts import render_script
from orgscan.remediation.selectors import merged_selectors
from orgscan.remediation.text import plan_text
from tests.remediation.builders import (
    LOG_ARCHIVE,
    MGMT,
    WORKLOAD,
    finding,
    gap,
    scan_result,
    with_gaps,
)
from tests.remediation.samples import assert_shell_clean

KEY = "arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _recording(plan: Plan) -> list[PlanEntry]:
    return [e for e in plan.entries if e.kind is EntryKind.RECORDING]


def _stopped_partial_trail() -> ScanResult:
    trail = finding(
        "legacy",
        ReasonCode.COMPLIANT,
        is_logging=False,
        management_events=ManagementEvents.PARTIAL,
        global_service_events=False,
    )
    return with_gaps(scan_result(trail), {WORKLOAD: (gap("us-east-1", GapWhy.NOT_LOGGING),)})


def test_a_trail_gets_every_change_it_needs_settings_first_logging_last():
    result = _stopped_partial_trail()
    plan = build_plan(result, RemediationSettings())
    (entry,) = _recording(plan)
    arn = result.findings[0].trail_arn
    assert entry.gaps == (GapWhy.NO_GLOBAL_EVENTS, GapWhy.EXCLUDED_SOURCES, GapWhy.NOT_LOGGING)
    assert entry.accounts == (WORKLOAD,)
    assert [(s.account_id, s.region, s.operation, dict(s.parameters)) for s in entry.steps] == [
        (WORKLOAD, "us-east-1", "UpdateTrail", {"Name": arn, "IncludeGlobalServiceEvents": True}),
        (
            WORKLOAD,
            "us-east-1",
            "PutEventSelectors",
            {
                "TrailName": arn,
                "EventSelectors": [
                    {
                        "ReadWriteType": "All",
                        "IncludeManagementEvents": True,
                        "DataResources": [],
                        "ExcludeManagementEventSources": [],
                    }
                ],
            },
        ),
        (WORKLOAD, "us-east-1", "StartLogging", {"Name": arn}),
    ]
    assert [s.check.operation for s in entry.steps if s.check] == [
        "GetTrail",
        "GetEventSelectors",
        "GetTrailStatus",
    ]
    # Before and after are shown; the data-event guard stops a script, never --apply.
    assert "before, management events Partial" in entry.steps[1].description
    assert [g.kind.value for g in entry.steps[1].guards] == ["selectors-beyond-management-events"]
    assert loads(dumps(plan)) == plan
    assert unsafe_steps(plan, result) == []


def test_apply_refuses_a_recording_step_orgscan_would_not_make():
    result = _stopped_partial_trail()
    plan = build_plan(result, RemediationSettings())
    (entry,) = _recording(plan)
    stop = dataclasses.replace(entry.steps[0], parameters={"Name": entry.findings[0]})
    narrow = dataclasses.replace(
        entry.steps[1],
        parameters={**entry.steps[1].parameters, "EventSelectors": [{"ReadWriteType": "ReadOnly"}]},
    )
    elsewhere = dataclasses.replace(entry.steps[2], account_id=LOG_ARCHIVE)
    tampered = dataclasses.replace(entry, steps=(stop, narrow, elsewhere))
    bad = dataclasses.replace(
        plan, entries=tuple(tampered if e is entry else e for e in plan.entries)
    )
    problems = unsafe_steps(bad, result)
    assert len(problems) == 3, problems
    assert "step 1 UpdateTrail: parameters" in problems[0]
    assert "step 2 PutEventSelectors: parameters" in problems[1]
    assert "step 3 StartLogging: does not run as the trail's owner" in problems[2]


def _single_region_organization() -> ScanResult:
    org_trail = finding(
        "org",
        ReasonCode.COMPLIANT,
        account=MGMT,
        is_organization_trail=True,
        global_service_events=True,
        is_logging=True,
        management_events=ManagementEvents.ALL,
        delivering=True,
    )
    return with_gaps(
        scan_result(org_trail),
        {
            WORKLOAD: (gap("eu-west-1", GapWhy.NO_TRAIL),),
            LOG_ARCHIVE: (gap("eu-west-1", GapWhy.NO_TRAIL),),
        },
    )


def test_no_trail_makes_the_organization_trail_multi_region_in_the_management_script(tmp_path):
    result = _single_region_organization()
    plan = build_plan(result, RemediationSettings())
    (entry,) = _recording(plan)
    arn = result.findings[0].trail_arn
    assert entry.acting_account_id == MGMT
    assert entry.accounts == (LOG_ARCHIVE, WORKLOAD)
    assert any("management account" in w for w in entry.warnings)
    text = plan_text(plan)
    assert (
        "0 buckets to change, 0 without steps. 1 trail to change so that every account is recorded."
        in text
    )
    assert f"[1] trail {arn}: recording (NO_TRAIL) of account(s) {LOG_ARCHIVE}, {WORKLOAD}" in text
    script = render_script(plan, MGMT)
    assert (
        f"run aws cloudtrail update-trail --name {arn} --is-multi-region-trail "
        "--include-global-service-events --region us-east-1" in script
    )
    assert (
        f"aws cloudtrail get-trail --name {arn} --region us-east-1 --query "
        "'Trail.IsMultiRegionTrail && Trail.IncludeGlobalServiceEvents'" in script
    )
    assert "# Closes: NO_TRAIL gaps of account(s) 222222222222, 333333333333" in script
    # Live first: the trail still delivers to the bucket the plan saw.
    assert (
        f"any_holds 1 'the trail no longer delivers to {result.findings[0].bucket_name}" in script
    )
    (tmp_path / "run").mkdir()
    paths = write_plan_files(tmp_path / "run", plan)
    assert [p.name for p in paths if p.suffix == ".sh"] == [f"{MGMT}.sh"]
    assert_shell_clean(tmp_path / "run" / "remediation" / f"{MGMT}.sh")
    policy = remediation_policy(plan)
    (statement,) = policy["Statement"]
    assert statement["Action"] == ["cloudtrail:GetTrail", "cloudtrail:UpdateTrail"]
    assert statement["Resource"] == arn


def test_no_trail_without_an_organization_trail_creates_one_into_a_passing_bucket():
    own = finding("own", ReasonCode.COMPLIANT, account=LOG_ARCHIVE, is_multi_region=True)
    result = with_gaps(scan_result(own), {WORKLOAD: (gap("eu-west-1", GapWhy.NO_TRAIL),)})
    plan = build_plan(result, RemediationSettings())
    (entry,) = _recording(plan)
    assert entry.findings == ()
    assert [(s.account_id, s.operation) for s in entry.steps] == [
        (MGMT, "CreateTrail"),
        (MGMT, "StartLogging"),
    ]
    assert entry.steps[0].parameters == {
        "Name": "organization-trail",
        "S3BucketName": own.bucket_name,
        "IsOrganizationTrail": True,
        "IsMultiRegionTrail": True,
        "IncludeGlobalServiceEvents": True,
        "EnableLogFileValidation": True,
    }
    assert unsafe_steps(plan, result) == []
    unlocked = dataclasses.replace(
        entry.steps[0], parameters={**entry.steps[0].parameters, "S3BucketName": "anything"}
    )
    bad = dataclasses.replace(
        plan, entries=(dataclasses.replace(entry, steps=(unlocked, entry.steps[1])),)
    )
    assert unsafe_steps(bad, result) == [
        "entry 1 (trail to create): step 1 CreateTrail: delivers to a bucket that did not "
        "pass in this run"
    ]
    grants = {
        (a, s["Resource"])
        for s in remediation_policy(plan)["Statement"]
        for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    }
    assert (
        "cloudtrail:CreateTrail",
        f"arn:aws:cloudtrail:us-east-1:{MGMT}:trail/organization-trail",
    ) in grants


def test_not_delivering_is_advice_with_the_reads_and_changes_nothing():
    trail = finding(
        "billing",
        ReasonCode.COMPLIANT,
        is_multi_region=True,
        delivering=False,
        latest_delivery_error="AccessDenied",
        kms_key_arn=KEY,
    )
    result = with_gaps(scan_result(trail), {WORKLOAD: (gap("eu-west-1", GapWhy.NOT_DELIVERING),)})
    (entry,) = _recording(build_plan(result, RemediationSettings()))
    assert entry.steps == ()
    assert entry.acting_account_id == WORKLOAD
    assert "CloudTrail reports AccessDenied delivering to" in entry.explanation
    for command in (
        f"aws s3api get-bucket-policy --bucket {trail.bucket_name} --expected-bucket-owner "
        f"{WORKLOAD}",
        f"aws kms get-key-policy --key-id {KEY} --policy-name default --region us-east-1",
        f"aws cloudtrail get-trail-status --name {trail.trail_arn} --region us-east-1",
    ):
        assert command in entry.explanation


def test_an_applied_selector_keeps_data_events_in_the_trails_own_form():
    data = {
        "Name": "S3 data events only",
        "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
        ],
    }
    assert merged_selectors({"AdvancedEventSelectors": [data], "EventSelectors": []}) == {
        "AdvancedEventSelectors": [
            {
                "Name": "Management events",
                "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}],
            },
            data,
        ]
    }
    objects = [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::data/"]}]
    basic = {
        "EventSelectors": [
            {
                "ReadWriteType": "WriteOnly",
                "IncludeManagementEvents": True,
                "DataResources": objects,
                "ExcludeManagementEventSources": ["kms.amazonaws.com"],
            }
        ]
    }
    merged = merged_selectors(basic)["EventSelectors"]
    assert merged[0] == {
        "ReadWriteType": "All",
        "IncludeManagementEvents": True,
        "DataResources": [],
        "ExcludeManagementEventSources": [],
    }
    assert merged[1] == {
        "ReadWriteType": "WriteOnly",
        "IncludeManagementEvents": False,
        "DataResources": objects,
    }


def test_a_bucket_outside_the_organization_gets_a_bucket_of_the_trail_owner():
    outside = dataclasses.replace(
        finding("vendor", ReasonCode.BUCKET_MISSING, bucket_region="us-east-1"),
        reason_code=ReasonCode.BUCKET_OUTSIDE_ORGANIZATION,
        status=Status.FAIL,
    )
    plan = build_plan(scan_result(outside), RemediationSettings())
    (entry,) = plan.entries
    assert entry.new_bucket_name == f"{outside.bucket_name}-locked"
    assert {s.account_id for s in entry.steps} == {WORKLOAD}
    assert entry.steps[-1].parameters == {
        "Name": outside.trail_arn,
        "S3BucketName": f"{outside.bucket_name}-locked",
    }
    assert "include it in the scan" not in entry.explanation
    assert unsafe_steps(plan, scan_result(outside)) == []


def test_the_ranking_counts_the_accounts_a_trail_change_protects():
    result = _single_region_organization()
    plan = build_plan(result, RemediationSettings())
    (first,) = rank_plan(plan, result)
    assert first.entry.kind is EntryKind.RECORDING
    # Made multi-region, the organization trail (its bucket passes) protects both accounts.
    assert first.accounts == (LOG_ARCHIVE, WORKLOAD)
    assert first.regions == 2
    action = first_action((first,))
    assert action is not None
    assert first_action_text(action, "below") == (
        f"remediation/{MGMT}.sh first: it fixes trail org (NO_TRAIL) and makes 2 accounts "
        "protected."
    )
