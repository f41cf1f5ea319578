"""``prelock`` in findings.json: written on PASS findings, read back, absent in older runs."""

from __future__ import annotations

import json

import pytest

from orgscan.findings import FindingsFileError, dumps, loads
from orgscan.model import Policy, ReasonCode, RunInfo, ScanResult, Status
from orgscan.prelock_count import Prelock, PrelockSource
from tests.builders import finding

COUNT = Prelock(
    PrelockSource.SAMPLE,
    checked=8,
    unprotected=3,
    oldest_unprotected="2026-10-02T10:00:00Z",
    oldest_protected="2026-11-02T10:00:00Z",
    prefixes=("AWSLogs/",),
)


def _result(*, policy: Policy | None = None) -> ScanResult:
    run = RunInfo(
        started_at="2026-12-07T09:00:00Z",
        finished_at="2026-12-07T09:01:00Z",
        tool_version="3.0.0",
        caller_arn="arn:aws:iam::111111111111:root",
        organization_id="o-abc",
        policy=policy or Policy(),
        regions=("us-east-1",),
        complete=True,
    )
    fail = finding(
        trail_name="other", status=Status.FAIL, reason_code=ReasonCode.LOCK_NOT_CONFIGURED
    )
    return ScanResult(run=run, findings=(finding(prelock=COUNT, s3_key_prefix="x"), fail))


def test_the_count_is_written_and_read_back() -> None:
    text = dumps(_result(policy=Policy(prelock_sample_size=12)))
    document = json.loads(text)
    assert document["run"]["policy"]["prelock"] is True
    assert document["run"]["policy"]["prelock_sample_size"] == 12
    passed, failed = document["findings"]
    assert passed["prelock"] == {
        "source": "sample",
        "checked": 8,
        "unprotected": 3,
        "oldest_unprotected": "2026-10-02T10:00:00Z",
        "oldest_protected": "2026-11-02T10:00:00Z",
        "prefixes": ["AWSLogs/"],
    }
    assert failed["prelock"] is None
    assert "s3_key_prefix" not in passed  # the trail's prefix is not part of the schema
    again = loads(text)
    assert again.findings[0].prelock == COUNT
    assert again.run.policy.prelock_sample_size == 12


def test_a_run_from_before_the_count_reads_without_it() -> None:
    document = json.loads(dumps(_result()))
    for key in ("prelock", "prelock_sample_size"):
        del document["run"]["policy"][key]
    del document["findings"][0]["prelock"]
    result = loads(json.dumps(document))
    assert result.findings[0].prelock is None
    # It counted nothing: verify --recompute must not ask its evidence for a count.
    assert result.run.policy.prelock is False


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"unprotected": 9}, "'unprotected' cannot exceed 'checked'"),
        ({"checked": -1}, "must be counts"),
        ({"source": "guess"}, "'source' must be"),
        ({"prefixes": "AWSLogs/"}, "'prefixes' must be a list"),
    ],
)
def test_a_bad_count_is_refused(change: dict[str, object], message: str) -> None:
    document = json.loads(dumps(_result()))
    document["findings"][0]["prelock"] |= change
    with pytest.raises(FindingsFileError, match=message):
        loads(json.dumps(document))
