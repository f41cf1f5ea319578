"""An incremental run: the base run with the touched accounts rescanned, sealed, verifiable."""

from __future__ import annotations

import json

from orgscan.diff import load_diff
from orgscan.evidence.manifest import verify_folder
from orgscan.evidence.recompute import recompute_run
from orgscan.findings import load_run
from orgscan.model import AccountVerdictCode, RunKind
from orgscan.runs.folder import resolve_latest
from orgscan.runs.history import list_runs
from orgscan.watch.incremental import base_run
from tests.watch.world import watched_demo


def test_a_stopped_trail_makes_an_incremental_run_that_verifies_and_says_what_changed(tmp_path):
    output = tmp_path / "runs"
    with watched_demo(output) as world:
        base = world.full_scan()
        log_archive = world.simulated.log_archive_account_id
        before = {a.account_id: a for a in base.result.accounts}
        assert before[log_archive].verdict_code is AccountVerdictCode.PROTECTED
        world.client("cloudtrail", "log-archive").stop_logging(Name="log-archive-trail")

        base_dir, base_result = base_run(output)
        assert base_dir == base.run_dir
        outcome = world.rescanner().rescan(frozenset({log_archive}), base_dir, base_result)

    run_dir = outcome.run_dir
    assert resolve_latest(output) == run_dir
    result = load_run(run_dir)
    assert result.run.kind is RunKind.INCREMENTAL
    assert result.run.based_on == base.run_dir.name
    accounts = {a.account_id: a for a in result.accounts}
    assert accounts[log_archive].verdict_code is AccountVerdictCode.NOT_RECORDED
    # Every other account is as the base run found it, verdicts included.
    for account_id, account in before.items():
        if account_id != log_archive:
            assert accounts[account_id] == account, account_id
    assert len(result.findings) == len(base.result.findings)
    [trail] = [f for f in result.findings if f.trail_name == "log-archive-trail"]
    assert trail.is_logging is False

    # Sealed, and every finding and verdict follows from the merged evidence.
    assert not verify_folder(run_dir).changed
    assert recompute_run(run_dir) == []
    diff = load_diff(run_dir)
    assert diff is not None
    assert diff.old.folder == base.run_dir.name
    [changed] = [entry for entry in diff.accounts if entry.account_id == log_archive]
    assert changed.verdict_code_old == "PROTECTED"
    assert changed.verdict_code_new == "NOT_RECORDED"
    assert changed.diff_class.value == "new_failure"
    document = json.loads((run_dir / "findings.json").read_text())
    assert document["run"]["kind"] == "incremental"
    assert document["run"]["based_on"] == base.run_dir.name

    page = (run_dir / "report.html").read_text(encoding="utf-8")
    assert f'incremental: run <span class="mono">{base.run_dir.name}</span>' in page
    history = list_runs(output)
    assert [(run.kind, run.based_on) for run in history.runs] == [
        ("incremental", base.run_dir.name),
        ("full", None),
    ]
