"""The per-account bash scripts: content, quoting, shell safety, dry run, account guard."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgscan.model import ReasonCode
from orgscan.remediation import Strategy, write_plan_files, write_remediation
from orgscan.remediation.scripts import (
    UnsafeInterpolation,
    cli_argv,
    environment,
    render_script,
    shquote,
    shwords,
)
from tests.remediation.builders import LOG_ARCHIVE, MGMT, WORKLOAD, finding, scan_result
from tests.remediation.samples import HOSTILE_NAME, FakeAws, assert_shell_clean, rich_plan

READ_ONLY = {
    ("sts", "get-caller-identity"),
    ("s3api", "head-bucket"),
    ("s3api", "get-public-access-block"),
    ("s3api", "get-bucket-versioning"),
    ("s3api", "get-bucket-encryption"),
    ("s3api", "get-object-lock-configuration"),
    ("s3api", "get-bucket-policy"),
    ("s3api", "get-bucket-acl"),
    ("s3api", "get-bucket-replication"),
    ("cloudtrail", "get-trail"),
}


@pytest.fixture
def scripts(tmp_path: Path) -> dict[str, Path]:
    """The scripts of the rich plan, by account id."""
    (tmp_path / "run").mkdir()  # the run folder exists before anything is written into it
    paths = write_plan_files(tmp_path / "run", rich_plan())
    return {path.stem: path for path in paths if path.suffix == ".sh"}


def test_only_accounts_that_must_change_get_a_script(scripts, tmp_path):
    assert sorted(scripts) == [MGMT, LOG_ARCHIVE]  # WORKLOAD has only an ERROR finding
    plan = json.loads((tmp_path / "run" / "remediation" / "plan.json").read_text())
    assert [len(e["steps"]) for e in plan["entries"]][-1] == 0
    assert all(path.stat().st_mode & 0o111 for path in scripts.values())


def test_scripts_pass_bash_n_and_shellcheck(scripts):
    for path in scripts.values():
        assert_shell_clean(path)


def test_script_content_commands_and_quoting(scripts):
    text = scripts[LOG_ARCHIVE].read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "\nset -euo pipefail\n" in text
    assert 'readonly ACCOUNT_ID=222222222222\nexport AWS_PAGER=""\n' in text.replace(
        "# AWS CLI v2 would page long output through `less` and wait for a key; v1 ignores this.\n",
        "",
    )
    assert 'caller="$(aws sts get-caller-identity --query Account --output text)"' in text
    # us-east-1 create-bucket has no LocationConstraint; eu-west-1 has one.
    assert (
        "run aws s3api create-bucket --bucket central-logs-locked "
        "--object-lock-enabled-for-bucket --region us-east-1\n"
    ) in text
    assert (
        "run aws s3api create-bucket --bucket gone-logs-locked "
        "--object-lock-enabled-for-bucket --create-bucket-configuration "
        '\'{"LocationConstraint":"eu-west-1"}\' --region eu-west-1\n'
    ) in text
    # A retention-only fix: just the lock configuration, on the existing bucket.
    assert (
        "run aws s3api put-object-lock-configuration --bucket short-logs "
        '--object-lock-configuration \'{"ObjectLockEnabled":"Enabled","Rule":'
        '{"DefaultRetention":{"Mode":"GOVERNANCE","Days":90}}}\' '
        "--expected-bucket-owner 222222222222 --region eu-west-1\n"
    ) in text
    assert "put-bucket-versioning --bucket short-logs" not in text
    # Idempotent: each write is guarded by its read-only check.
    assert (
        "if is_done '' '404 NoSuchBucket NotFound' '' aws s3api head-bucket --bucket "
        "central-logs-locked --expected-bucket-owner 222222222222 --region us-east-1; "
        "then\n"
    ) in text
    # A check that cannot read stops instead of running the step.
    assert (
        'elif [ "$STATE" = unreadable ]; then\n  stop 1 "cannot read the current state, '
        'so it is not changed ($READ_ERROR)"\n'
    ) in text
    assert "2>/dev/null" not in text
    # Every s3api call but create-bucket names the bucket's expected owner; so does every
    # read but the one asking whether the missing bucket exists again, whoever owns it.
    steps = text.split("# Step 1 of")[1]
    calls = [
        line
        for line in steps.splitlines()
        if "aws s3api " in line
        and "create-bucket" not in line
        and "head-bucket --bucket gone-logs " not in line
    ]
    assert calls
    assert all("--expected-bucket-owner " in line for line in calls)
    # Read live before every change: a trail still delivers to the old bucket (or, after a
    # run stopped half-way, to the new one), and the old bucket has not become as strong.
    assert (
        "elif any_holds 2 'no trail this plan names delivers to app-logs any more (moved or "
        "deleted since the scan), so the bucket is left as it is. Scan again' '' "
        "TrailNotFoundException aws cloudtrail get-trail --name "
        "arn:aws:cloudtrail:us-east-1:222222222222:trail/app --region us-east-1 --query "
        "\"contains(['app-logs', 'app-logs-locked'], Trail.S3BucketName)\" --output text \\\n"
        '    && guard 2 "the bucket app-logs now has a default retention at least as strong '
        "as the new bucket's GOVERNANCE for 90 days (or stronger in mode or days), so no "
        'trail is moved off it and no new bucket is made. Scan again" '
        "'ObjectLockConfigurationNotFoundError NoSuchBucket' aws s3api "
        "get-object-lock-configuration --bucket app-logs --expected-bucket-owner 222222222222 "
        '--region us-east-1 --query "(ObjectLockConfiguration.ObjectLockEnabled == '
    ) in text
    # The missing bucket: whoever owns it now, it exists again.
    assert (
        "    && guard 14 'the bucket gone-logs exists again (it was missing when the run "
        "scanned it), so no trail is moved off it and no new bucket is made. Scan again' "
        "'404 NoSuchBucket NotFound' aws s3api head-bucket --bucket gone-logs --region "
        "eu-west-1 --query \"type(@) == 'object'\" --output text; then\n"
    ) in text
    # The organization trail belongs to the management account: read by --apply only.
    assert (
        'elif unchecked 8 "not checked from this account, which may not read it: GetTrail on '
        "arn:aws:cloudtrail:us-east-1:111111111111:trail/org (account 111111111111). orgscan "
        "remediate --apply reads it with that account's role\""
    ) in text
    helper = text.split("replication_guard() {")[1].split("\n}\n")[0]
    assert helper.count("aws s3api") == helper.count("--expected-bucket-owner") == 2
    # Each step says what it fixes and with which strategy.
    assert "# Step 1 of 21: bucket app-logs, strategy new-bucket\n" in text
    assert "strategy enable-in-place" in text
    assert (
        "# Fixes: LOCK_NOT_CONFIGURED of trail "
        "arn:aws:cloudtrail:us-east-1:111111111111:trail/org\n"
    ) in text


def test_in_place_script_content():
    text = render_script(rich_plan(strategy=Strategy.ENABLE_IN_PLACE), LOG_ARCHIVE)
    assert (
        "run aws s3api put-bucket-versioning --bucket app-logs --versioning-configuration "
        '\'{"Status":"Enabled"}\' --expected-bucket-owner 222222222222 '
        "--region us-east-1\n"
    ) in text
    assert (
        "aws s3api get-bucket-versioning --bucket app-logs --expected-bucket-owner "
        "222222222222 --region us-east-1 --query \"Status == 'Enabled'\" --output text; "
        "then\n"
    ) in text
    # Before the first change in place: replication and access-log delivery are read.
    # First the live precondition: the trail still delivers to the bucket.
    assert (
        "elif any_holds 1 'no trail this plan names delivers to app-logs any more (moved or "
        "deleted since the scan), so the bucket is left as it is. Scan again' '' "
        "TrailNotFoundException aws cloudtrail get-trail --name "
        "arn:aws:cloudtrail:us-east-1:222222222222:trail/app --region us-east-1 --query "
        "\"contains(['app-logs'], Trail.S3BucketName)\" --output text \\\n"
        "    && replication_guard 1 'the bucket replicates to a destination without Object Lock"
    ) in text
    assert "--query \"contains(Policy, 'logging.s3.amazonaws.com')\" --output text \\\n" in text
    assert (
        "run aws s3api put-object-lock-configuration --bucket central-logs "
        "--object-lock-configuration"
    ) in text
    assert "create-bucket --bucket app-logs-locked" not in text
    assert "trail/app --s3-bucket-name" not in text


def test_cross_account_scripts_say_who_goes_first(scripts):
    bucket_side = scripts[LOG_ARCHIVE].read_text(encoding="utf-8")
    trail_side = scripts[MGMT].read_text(encoding="utf-8")
    assert "# ORDER: after this script has been applied, account(s) 111111111111" in bucket_side
    assert "# ORDER: run this only after account(s) 222222222222 applied their" in trail_side
    assert "trail/org --s3-bucket-name" not in bucket_side
    assert (
        "run aws cloudtrail update-trail --name "
        "arn:aws:cloudtrail:us-east-1:111111111111:trail/org --s3-bucket-name "
        "central-logs-locked --region us-east-1\n"
    ) in trail_side
    assert "s3api" not in trail_side.split("# Step 1 of")[1]


def test_hostile_account_name_stays_in_its_comment_line(scripts):
    text = scripts[LOG_ARCHIVE].read_text(encoding="utf-8")
    name_lines = [line for line in text.splitlines() if "PWNED" in line]
    assert name_lines == [
        '# Account name: it\'s "$(touch PWNED1)" `touch PWNED2`  touch PWNED3 \\ ; rm -rf ~'
    ]
    assert not any(line.lstrip().startswith("touch") for line in text.splitlines())


def test_dry_run_prints_every_command_and_writes_nothing(scripts, fake_aws: FakeAws):
    run = fake_aws.run(scripts[LOG_ARCHIVE], account=LOG_ARCHIVE)
    assert run.returncode == 0, run.stderr
    calls = [tuple(call[1:3]) for call in fake_aws.calls()]
    assert set(calls) <= READ_ONLY
    assert calls[0] == ("sts", "get-caller-identity")
    printed = [line for line in run.stdout.splitlines() if line.startswith("would run: ")]
    assert len(printed) == run.stdout.count("would run: ") == 21
    assert (
        "would run: aws s3api put-object-lock-configuration --bucket short-logs "
        "--object-lock-configuration "
        '\'{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":'
        '{"Mode":"GOVERNANCE","Days":90}}}\' --expected-bucket-owner 222222222222 '
        "--region eu-west-1"
    ) in printed
    # The bucket policy is shown whole, TLS-only statement included.
    [policy_line] = [
        line for line in printed if " put-bucket-policy --bucket app-logs-locked " in line
    ]
    assert "OrgscanDenyInsecureTransport" in policy_line
    assert "aws:SecureTransport" in policy_line
    assert not list(scripts[LOG_ARCHIVE].parent.glob("PWNED*"))


def test_apply_sends_exactly_the_planned_arguments(scripts, fake_aws: FakeAws):
    plan = rich_plan()
    run = fake_aws.run(scripts[LOG_ARCHIVE], "--apply", account=LOG_ARCHIVE)
    assert run.returncode == 0, run.stderr
    writes = [call[1:] for call in fake_aws.calls() if tuple(call[1:3]) not in READ_ONLY]
    expected = [
        cli_argv(step.service, step.operation, step.parameters, step.region)[1:]
        for _, step in plan.steps_for(LOG_ARCHIVE)
    ]
    assert writes == expected
    assert not list(scripts[LOG_ARCHIVE].parent.glob("PWNED*"))


def test_second_apply_is_harmless_when_everything_is_done(scripts, fake_aws: FakeAws):
    run = fake_aws.run(scripts[MGMT], "--apply", account=MGMT, done=True)
    assert run.returncode == 0, run.stderr
    assert {tuple(call[1:3]) for call in fake_aws.calls()} <= READ_ONLY
    assert "step 1: already done, skipped" in run.stdout


def test_wrong_account_credentials_refuse(scripts, fake_aws: FakeAws):
    run = fake_aws.run(scripts[LOG_ARCHIVE], "--apply", account=WORKLOAD)
    assert run.returncode == 1
    assert (
        "refusing to run: these credentials belong to account 333333333333, this script is "
        "for account 222222222222"
    ) in run.stderr
    assert [call[1:3] for call in fake_aws.calls()] == [["sts", "get-caller-identity"]]
    assert "would run" not in run.stdout


def test_profile_option_reaches_every_call_and_bad_options_are_refused(scripts, fake_aws):
    run = fake_aws.run(scripts[MGMT], "--profile", "audit", account=MGMT)
    assert run.returncode == 0, run.stderr
    assert {call[0] for call in fake_aws.calls()} == {"AWS_PROFILE=audit"}
    bad = fake_aws.run(scripts[MGMT], "--aply", account=MGMT)
    assert bad.returncode == 2
    assert "unknown argument: --aply" in bad.stderr


def test_hostile_values_in_parameters_reach_aws_unchanged(tmp_path, fake_aws: FakeAws):
    # findings.json is a file: a tampered one may hold anything, not just valid bucket names.
    nasty = "b'; touch PWNED4; '$(touch PWNED5)`touch PWNED6`\"\n\\"
    result = scan_result(
        finding("x", ReasonCode.NO_DEFAULT_RETENTION, bucket_name=nasty),
        names={WORKLOAD: HOSTILE_NAME},
    )
    (tmp_path / "run").mkdir()
    paths = write_remediation(tmp_path / "run", result, rich_plan().settings)
    script = next(path for path in paths if path.suffix == ".sh")
    subprocess.run(["bash", "-n", str(script)], check=True)
    run = fake_aws.run(script, "--apply", account=WORKLOAD)
    assert run.returncode == 0, run.stderr
    writes = [call for call in fake_aws.calls() if call[2] == "put-object-lock-configuration"]
    assert writes[0][3:5] == ["--bucket", nasty]
    assert not list(tmp_path.rglob("PWNED*"))


def test_shquote_round_trips_through_bash():
    values = [
        "plain",
        "",
        "it's",
        'say "hi"',
        "$(id)",
        "`id`",
        "a\nb",
        "\\",
        "!x",
        "a'$b",
        "tab\there",
        "*",
        "~",
        "{a,b}",
        "-n",
        "héllo",
        "'\"'\"'",
    ]
    words = shwords(values)
    out = subprocess.run(
        ["bash", "-c", f"printf '%s\\0' {words}"], capture_output=True, check=True
    ).stdout.decode()
    assert out.split("\0")[:-1] == values
    assert shquote("Status == 'Enabled'") == "\"Status == 'Enabled'\""


def test_the_template_cannot_print_an_unquoted_value():
    env = environment()
    with pytest.raises(UnsafeInterpolation):
        env.from_string("echo {{ value }}").render(value="$(id)")
    assert env.from_string("echo {{ value | shquote }}").render(value="$(id)") == "echo '$(id)'"


def test_script_without_account_name():
    text = render_script(rich_plan(name=None), LOG_ARCHIVE)
    assert "Account name" not in text


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_help_exits_zero(scripts, fake_aws: FakeAws):
    run = fake_aws.run(scripts[MGMT], "--help", account=MGMT)
    assert run.returncode == 0
    assert "usage:" in run.stdout
    assert fake_aws.calls() == []


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40))
def test_no_account_name_changes_the_scripts_lines(name):
    reference = render_script(rich_plan(name="x"), LOG_ARCHIVE).splitlines()
    lines = render_script(rich_plan(name=name), LOG_ARCHIVE).splitlines()
    assert len(lines) == len(reference)
    [changed] = [
        index for index, (a, b) in enumerate(zip(lines, reference, strict=True)) if a != b
    ] or [reference.index("# Account name: x")]
    assert lines[changed].startswith("# Account name: ")


def test_access_denied_in_a_dry_run_is_reported_not_hidden(scripts, fake_aws: FakeAws):
    run = fake_aws.run(
        scripts[LOG_ARCHIVE], account=LOG_ARCHIVE, deny="get-object-lock-configuration"
    )
    assert run.returncode == 1
    stopped = [line for line in run.stdout.splitlines() if "would stop" in line]
    # The in-place retention fix cannot read the bucket: said so, not "would run".
    assert (
        "step 21 would stop: cannot read the current state, so it is not changed (An error "
        "occurred (AccessDenied) when calling the get-object-lock-configuration operation: "
        "test )"
    ) in stopped
    assert (
        "would run: aws s3api put-object-lock-configuration --bucket short-logs" not in run.stdout
    )
    # Every step of the two new buckets reads the old bucket's lock first: denied too.
    assert "dry run found 15 step(s) that would stop; nothing was changed" in run.stderr


def test_access_denied_under_apply_stops_before_any_write(scripts, fake_aws: FakeAws):
    run = fake_aws.run(scripts[LOG_ARCHIVE], "--apply", account=LOG_ARCHIVE, deny="head-bucket")
    assert run.returncode == 1
    assert run.stderr.startswith("stopped at step 1: cannot read the current state")
    assert {tuple(call[1:3]) for call in fake_aws.calls()} <= READ_ONLY


def test_the_template_is_compiled_once_for_every_script(tmp_path, monkeypatch):
    import orgscan.remediation.scripts as scripts_module

    compiled = []
    original = scripts_module.environment

    def counting(folder=None):
        compiled.append(folder)
        return original(folder)

    monkeypatch.setattr(scripts_module, "environment", counting)
    scripts_module._default_template.cache_clear()
    accounts = [f"{number:012d}" for number in range(1, 41)]
    result = scan_result(
        *[
            finding(f"t{n}", ReasonCode.NO_DEFAULT_RETENTION, account=account)
            for n, account in enumerate(accounts)
        ],
        names=dict.fromkeys(accounts, "x"),
    )
    (tmp_path / "run").mkdir()
    written = write_remediation(tmp_path / "run", result, rich_plan().settings)
    assert sorted(path.stem for path in written if path.suffix == ".sh") == accounts
    assert len(compiled) == 1
    scripts_module._default_template.cache_clear()


def test_a_step_without_a_check_still_runs_only_after_its_guards(tmp_path, fake_aws: FakeAws):
    import dataclasses

    plan = rich_plan(strategy=Strategy.ENABLE_IN_PLACE)
    entry = plan.entries[0]
    unchecked = dataclasses.replace(
        entry, steps=tuple(dataclasses.replace(step, check=None) for step in entry.steps)
    )
    plan = dataclasses.replace(plan, entries=(unchecked,))
    script = tmp_path / f"{LOG_ARCHIVE}.sh"
    script.write_text(render_script(plan, LOG_ARCHIVE), encoding="utf-8")
    subprocess.run(["bash", "-n", str(script)], check=True)
    # The access-log guard cannot read the bucket's ACL: the versioning step stops.
    run = fake_aws.run(script, "--apply", account=LOG_ARCHIVE, deny="get-bucket-acl")
    assert run.returncode == 1
    assert run.stderr.startswith(
        "stopped at step 1: cannot read the current state (An error occurred (AccessDenied)"
    )
    assert {tuple(call[1:3]) for call in fake_aws.calls()} <= READ_ONLY
