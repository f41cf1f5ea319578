"""findings.json schema version 2: the v2 fields round-trip, and a version 1 file still reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orgscan.cli import app
from orgscan.findings import FindingsFileError, dumps, loads
from orgscan.model import (
    AccountCoverage,
    AccountGap,
    AccountVerdictCode,
    Finding,
    GapWhy,
    ManagementEvents,
    Policy,
    ReasonCode,
    RunInfo,
    RunScope,
    ScanResult,
    Status,
)
from tests.reliability.documents import sample_result
from tests.reliability.refusals import assert_clean_refusal

RUN = RunInfo(
    started_at="2026-12-01T00:00:00Z",
    finished_at="2026-12-01T00:01:00Z",
    tool_version="0",
    caller_arn="arn:aws:iam::111111111111:root",
    organization_id="o-abc",
    policy=Policy(),
    regions=("eu-west-1",),
    complete=True,
    run_id="20261201T000000Z",
    scope=RunScope(
        role_name="Audit",
        accounts=("222222222222",),
        exclude_accounts=(),
        ous=("ou-ab12-cdef3456",),
        regions=None,
        org=True,
    ),
    command=("orgscan", "scan", "--accounts", "222222222222"),
    host="audit-host",
)
FINDING = Finding(
    account_id="222222222222",
    trail_name="t",
    trail_arn="arn:aws:cloudtrail:eu-west-1:222222222222:trail/t",
    home_region="eu-west-1",
    is_organization_trail=False,
    is_multi_region=False,
    bucket_name="b",
    bucket_account_id=None,
    bucket_region="eu-west-1",
    object_lock_enabled=None,
    lock_mode=None,
    retention_days=None,
    versioning=None,
    status=Status.FAIL,
    reason_code=ReasonCode.BUCKET_OUTSIDE_ORGANIZATION,
    reason="outside",
    is_logging=False,
    latest_delivery_error="NoSuchBucket",
    management_events=ManagementEvents.WRITE_ONLY,
    global_service_events=False,
    latest_delivery_time="2026-11-20T08:00:00Z",
    delivering=False,
    log_file_validation=True,
    kms_key_arn="arn:aws:kms:eu-west-1:222222222222:key/k",
)
ACCOUNT = AccountCoverage(
    account_id="222222222222",
    name="a",
    ou_path="/Root",
    state="ACTIVE",
    scanned=True,
    regions_scanned=1,
    error_code=None,
    verdict=Status.FAIL,
    verdict_code=AccountVerdictCode.NOT_RECORDED,
    protected_by=(),
    gaps=(AccountGap("eu-west-1", AccountVerdictCode.NOT_RECORDED, GapWhy.NOT_DELIVERING),),
)


def test_v2_and_v3_fields_round_trip() -> None:
    result = ScanResult(run=RUN, accounts=(ACCOUNT,), findings=(FINDING,))
    text = dumps(result)
    document = json.loads(text)
    assert document["schema_version"] == 3
    assert document["run"]["scope"]["accounts"] == ["222222222222"]
    assert document["run"]["policy"]["max_delivery_age_hours"] == 24
    assert document["accounts"][0]["gaps"] == [
        {"region": "eu-west-1", "code": "NOT_RECORDED", "why": "NOT_DELIVERING"}
    ]
    written = document["findings"][0]
    assert written["management_events"] == "WriteOnly"
    assert [written[key] for key in ("global_service_events", "delivering")] == [False, False]
    assert written["latest_delivery_time"] == "2026-11-20T08:00:00Z"
    assert written["kms_key_arn"] == "arn:aws:kms:eu-west-1:222222222222:key/k"
    assert loads(text) == result


def test_a_version_2_file_reads_with_the_v3_fields_absent() -> None:
    document = json.loads(dumps(ScanResult(run=RUN, accounts=(ACCOUNT,), findings=(FINDING,))))
    document["schema_version"] = 2
    del document["run"]["policy"]["max_delivery_age_hours"]
    del document["accounts"][0]["gaps"][0]["why"]
    for key in (
        "global_service_events",
        "latest_delivery_time",
        "delivering",
        "log_file_validation",
        "kms_key_arn",
    ):
        del document["findings"][0][key]
    result = loads(json.dumps(document))
    assert result.run.policy.max_delivery_age_hours == 24
    assert result.accounts[0].gaps == (AccountGap("eu-west-1", AccountVerdictCode.NOT_RECORDED),)
    finding = result.findings[0]
    assert (finding.delivering, finding.global_service_events, finding.kms_key_arn) == (
        None,
        None,
        None,
    )
    assert finding.latest_delivery_error == "NoSuchBucket"


def test_a_version_1_file_reads_with_the_v2_fields_absent() -> None:
    document = json.loads(dumps(ScanResult(run=RUN, accounts=(ACCOUNT,), findings=(FINDING,))))
    document["schema_version"] = 1
    for key in ("run_id", "scope", "command", "host"):
        del document["run"][key]
    for key in ("verdict", "verdict_code", "protected_by", "gaps"):
        del document["accounts"][0][key]
    for key in ("is_logging", "latest_delivery_error", "management_events", "delivering"):
        del document["findings"][0][key]
    result = loads(json.dumps(document))
    assert result.run.scope is None
    assert result.run.command == ()
    assert result.accounts[0].verdict is None
    assert result.accounts[0].gaps == ()
    assert result.findings[0].is_logging is None


def test_an_unknown_gap_code_is_refused() -> None:
    document = json.loads(dumps(ScanResult(run=RUN, accounts=(ACCOUNT,))))
    document["accounts"][0]["gaps"][0]["code"] = "FINE"
    with pytest.raises(FindingsFileError, match="gaps"):
        loads(json.dumps(document))


@pytest.mark.parametrize(
    ("reason_code", "status", "readable"),
    [
        (ReasonCode.NO_DEFAULT_RETENTION, Status.FAIL, True),  # the default policy
        (ReasonCode.NO_DEFAULT_RETENTION, Status.WARN, True),  # require_default_retention = false
        (ReasonCode.NO_DEFAULT_RETENTION, Status.PASS, False),
        (ReasonCode.LOCK_NOT_CONFIGURED, Status.WARN, False),
        (ReasonCode.BUCKET_OUTSIDE_ORGANIZATION, Status.ERROR, False),
    ],
)
def test_status_must_fit_the_reason_code(
    reason_code: ReasonCode, status: Status, readable: bool
) -> None:
    document = json.loads(dumps(ScanResult(run=RUN, findings=(FINDING,))))
    document["findings"][0].update(reason_code=reason_code.value, status=status.value)
    if readable:
        assert loads(json.dumps(document)).findings[0].status is status
    else:
        with pytest.raises(FindingsFileError, match="cannot have status"):
            loads(json.dumps(document))


@pytest.mark.parametrize("key", ["started_at", "finished_at"])
@pytest.mark.parametrize(
    "moment", ["2108-01-01T00:00:00Z", "9999-12-31T23:59:59+00:00", "1999-12-31T23:59:59Z"]
)
def test_a_run_time_out_of_range_is_bad_input(tmp_path: Path, key: str, moment: str) -> None:
    # A run that started in 2108 crashed `report`: a ZIP entry cannot be dated after 2107.
    document = json.loads(dumps(sample_result()))
    document["run"][key] = moment
    (tmp_path / "findings.json").write_text(json.dumps(document))
    outcome = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert_clean_refusal(outcome, "findings.json", f"run: '{key}' is '{moment}'", "2000 to 2099")
    assert [p.name for p in tmp_path.iterdir()] == ["findings.json"]


def test_the_last_run_time_in_range_renders(tmp_path: Path) -> None:
    document = json.loads(dumps(sample_result()))
    document["run"]["started_at"] = "2099-12-31T23:59:58Z"
    document["run"]["finished_at"] = "2099-12-31T23:59:59Z"
    (tmp_path / "findings.json").write_text(json.dumps(document))
    # Unsealed on purpose (--force): what is tested is the date, not the seal.
    outcome = CliRunner().invoke(app, ["report", "--force", str(tmp_path)])
    assert outcome.exit_code == 0, outcome.output
    assert (tmp_path / "report.xlsx").is_file()
