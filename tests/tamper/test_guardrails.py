"""Generated guardrails (contract 5.3): valid policies under the size limit that, fed back to
the evaluator, block exactly the open rows they were made from and no break-glass row."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from orgscan.tamper.evaluate import Target, weakeners
from orgscan.tamper.guardrails import (
    POLICY_LIMIT,
    RCP,
    SCP,
    Guardrail,
    attach_commands,
    guardrails,
    no_room,
)
from orgscan.tamper.policydoc import PolicyDoc, parse_document
from orgscan.weakeners import TargetKind, Weakener
from tests.remediation.samples import assert_shell_clean
from tests.tamper.policies import (
    LOGS,
    OTHER_ROLE,
    TRAIL_ARN,
    bucket,
    doc,
    key,
    org,
    principal,
    stmt,
    trail,
)

BREAK_GLASS = f"arn:aws:iam::{LOGS}:role/BreakGlass*"
ADMIN = stmt()
PRINCIPALS = [
    principal(ADMIN),
    principal(ADMIN, arn=OTHER_ROLE),
    principal(ADMIN, arn=f"arn:aws:iam::{LOGS}:role/BreakGlassAdmin"),
    principal(
        stmt(
            action="cloudtrail:StopLogging",
            Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        ),
        arn=f"arn:aws:iam::{LOGS}:role/Mfa",
    ),
]
CROSS_ACCOUNT = doc("bucket-policy", stmt(Principal={"AWS": OTHER_ROLE}, Sid="Ops"))
KEY_POLICY = doc("key-policy", stmt(Principal={"AWS": f"arn:aws:iam::{LOGS}:root"}))
TARGETS = [trail(), bucket(CROSS_ACCOUNT, governance=True), key(KEY_POLICY)]


def fed_back(rows: list[Weakener], targets: list[Target]) -> tuple[Weakener, ...]:
    """The rows evaluated again with the generated SCPs and RCPs attached at the root."""
    made = guardrails(rows, [BREAK_GLASS])
    scps = tuple(_parsed(p.name, p.text) for p in made if p.kind == SCP)
    rcps = tuple(_parsed(p.name, p.text) for p in made if p.kind == RCP)
    return weakeners(targets, PRINCIPALS, org(scps=(scps,), rcps=(rcps,)), [BREAK_GLASS])


def _parsed(name: str, text: str) -> PolicyDoc:
    return parse_document(f"p-{name}", json.loads(text))


def _key(row: Weakener) -> tuple[str, str, str, str]:
    return (row.trail_arn, row.target_arn, row.action, row.principal_arn)


def test_the_policies_are_json_under_the_limit_and_spare_break_glass() -> None:
    rows = list(weakeners(TARGETS, PRINCIPALS, org(), [BREAK_GLASS]))
    made = guardrails(rows, [BREAK_GLASS])
    assert [p.name for p in made] == ["scp-1.json", "rcp-1.json"]
    for policy in made:
        document = json.loads(policy.text)
        assert len(policy.text) <= POLICY_LIMIT
        for statement in document["Statement"]:
            assert statement["Effect"] == "Deny"
            assert statement["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": [BREAK_GLASS]}}
    rcp = json.loads(made[1].text)["Statement"]
    assert all(s["Principal"] == "*" for s in rcp)
    assert {a for s in rcp for a in s["Action"]} <= {
        *(a for a in _actions(rows) if a.startswith(("s3:", "kms:")))
    }  # RCPs do not govern CloudTrail
    assert "s3:BypassGovernanceRetention" in _actions(rows)


def _actions(rows: list[Weakener]) -> set[str]:
    return {row.action for row in rows}


def test_fed_back_they_block_exactly_the_open_rows() -> None:
    rows = list(weakeners(TARGETS, PRINCIPALS, org(), [BREAK_GLASS]))
    open_rows = {_key(r) for r in rows if r.is_open}
    assert open_rows
    assert any(r.break_glass for r in rows)
    assert any(r.conditional for r in rows)
    again = fed_back(rows, TARGETS)
    assert {_key(r) for r in again} == {_key(r) for r in rows}
    assert {_key(r) for r in again if r.blocked_by} == open_rows
    assert all(r.blocked_by and r.blocked_by.startswith("p-") for r in again if r.blocked_by)
    assert not any(r.blocked_by for r in again if r.break_glass)


def test_many_trails_split_into_several_policies_that_still_block_everything() -> None:
    targets = [
        Target(TRAIL_ARN, TargetKind.BUCKET, f"arn:aws:s3:::org-trail-logs-{i:04}", LOGS)
        for i in range(400)
    ]
    rows = list(weakeners(targets, PRINCIPALS[:1], org(), []))
    made = guardrails(rows, [])
    assert len([p for p in made if p.kind == SCP]) > 1
    assert all(len(p.text) <= POLICY_LIMIT for p in made)
    again = weakeners(
        targets,
        PRINCIPALS[:1],
        org(
            scps=(tuple(_parsed(p.name, p.text) for p in made if p.kind == SCP),),
            rcps=(tuple(_parsed(p.name, p.text) for p in made if p.kind == RCP),),
        ),
        [],
    )
    assert again
    assert all(r.blocked_by for r in again)


def test_the_attach_script_is_valid_bash_and_changes_nothing_by_default(tmp_path: Path) -> None:
    rows = list(weakeners(TARGETS, PRINCIPALS, org(), [BREAK_GLASS]))
    script = attach_commands(guardrails(rows, [BREAK_GLASS]), "20261207T000000Z")
    path = tmp_path / "attach.sh"
    path.write_text(script)
    subprocess.run(["bash", "-n", str(path)], check=True)
    assert 'attach-policy --policy-id "$POLICY_ID" --target-id "$ROOT_ID"' in script
    assert "--type SERVICE_CONTROL_POLICY" in script
    assert "--type RESOURCE_CONTROL_POLICY" in script
    assert 'if [ -n "$APPLY" ]; then "$@"; fi' in script


#: A fake AWS CLI for attach.sh: logs each call, answers list-roots, counts $SCPS or $RCPS
#: policies already attached at the root, and returns a new policy id.
FAKE_AWS = r"""#!/usr/bin/env bash
printf '%s\n' "$*" >> "$FAKE_AWS_LOG"
case "$*" in
  *list-roots*) echo r-abcd ;;
  *"--filter SERVICE_CONTROL_POLICY"*) echo "$SCPS" ;;
  *"--filter RESOURCE_CONTROL_POLICY"*) echo "$RCPS" ;;
  *create-policy*) echo p-new ;;
esac
"""


def _attach(
    tmp_path: Path, policies: list[Guardrail], *args: str, scps: int, rcps: int = 1
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """attach.sh of ``policies`` run against a root holding ``scps`` and ``rcps`` policies:
    its result and the AWS CLI calls it made."""
    (tmp_path / "bin").mkdir(exist_ok=True)
    fake = tmp_path / "bin" / "aws"
    fake.write_text(FAKE_AWS)
    fake.chmod(0o755)
    script = tmp_path / "attach.sh"
    script.write_text(attach_commands(policies, "20261207T000000Z"))
    log = tmp_path / "calls"
    log.unlink(missing_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(PATH=f"{fake.parent}:{env['PATH']}", FAKE_AWS_LOG=str(log))
    env.update(SCPS=str(scps), RCPS=str(rcps))
    done = subprocess.run(
        ["bash", str(script), *args], capture_output=True, text=True, env=env, check=False
    )
    return done, log.read_text().splitlines() if log.exists() else []


def _scps(count: int) -> list[Guardrail]:
    document = {"Version": "2012-10-17", "Statement": []}
    return [Guardrail(f"scp-{i}.json", SCP, document) for i in range(1, count + 1)]


def test_the_attach_script_counts_the_room_at_the_root_before_creating(tmp_path: Path) -> None:
    script = attach_commands(_scps(2), "20261207T000000Z")
    count = 'list-policies-for-target --target-id "$ROOT_ID" --filter SERVICE_CONTROL_POLICY'
    assert count in script
    assert script.index(count) < script.index("create-policy")
    assert "--filter RESOURCE_CONTROL_POLICY" not in script  # no RCP to make, none counted
    path = tmp_path / "attach.sh"
    path.write_text(script)
    assert_shell_clean(path)


@pytest.mark.parametrize("apply", [False, True])
def test_the_attach_script_stops_when_the_root_has_no_room(tmp_path: Path, apply: bool) -> None:
    args = ("--apply",) if apply else ()
    done, calls = _attach(tmp_path, _scps(5), *args, scps=1)
    assert done.returncode == 1
    line = no_room(SCP, 5, 1, 4)
    assert done.stderr == ("" if apply else "--apply would stop: ") + line + "\n"
    assert not any("create-policy" in call or "attach-policy" in call for call in calls)
    assert "create-policy" not in done.stdout


def test_the_attach_script_attaches_what_fits(tmp_path: Path) -> None:
    done, calls = _attach(tmp_path, _scps(4), "--apply", scps=1)
    assert done.returncode == 0, done.stderr
    assert sum("create-policy" in call for call in calls) == 4
    assert sum("attach-policy --policy-id p-new --target-id r-abcd" in call for call in calls) == 4
