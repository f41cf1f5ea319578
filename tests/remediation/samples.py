"""Samples for the remediation tests: a rich hand-made plan, and a fake ``aws`` command."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from orgscan.model import ReasonCode
from orgscan.remediation import RemediationSettings, Strategy, build_plan
from orgscan.remediation.plan_model import Plan
from tests.remediation.builders import LOG_ARCHIVE, MGMT, finding, scan_result

#: A fake AWS CLI: records every call, answers get-caller-identity with $FAKE_ACCOUNT, reports
#: every check as "done" when FAKE_DONE=1 (else each read fails the way AWS says "nothing
#: there", and every trail still delivers to the bucket the plan names), and refuses the read
#: named by FAKE_DENY with AccessDenied.
FAKE_AWS = r"""#!/usr/bin/env bash
{ printf 'AWS_PROFILE=%s\x1f' "${AWS_PROFILE:-}"; printf '%s\x1f' "$@"; printf '\x1e'; } \
  >> "$FAKE_AWS_LOG"
fail() { echo "An error occurred ($1) when calling the $2 operation: test" >&2; exit 254; }
case "$1 $2" in
  "sts get-caller-identity") echo "$FAKE_ACCOUNT" ;;
  "s3api head-bucket"|"s3api get-"*|"cloudtrail get-trail")
    if [ "$2" = "${FAKE_DENY:-}" ]; then fail AccessDenied "$2"; fi
    if [ "${FAKE_DONE:-0}" = 1 ]; then echo True; exit 0; fi
    case "$2" in
      head-bucket) fail 404 HeadBucket ;;
      get-public-access-block) fail NoSuchPublicAccessBlockConfiguration "$2" ;;
      get-bucket-encryption) fail ServerSideEncryptionConfigurationNotFoundError "$2" ;;
      get-object-lock-configuration) fail ObjectLockConfigurationNotFoundError "$2" ;;
      get-bucket-policy|get-bucket-policy-status) fail NoSuchBucketPolicy "$2" ;;
      get-bucket-replication) fail ReplicationConfigurationNotFoundError "$2" ;;
      # The live precondition (contains([...], Trail.S3BucketName)): the trail still
      # delivers to the planned bucket; the update-trail check: not moved yet.
      get-trail) case "$*" in *"contains("*) echo True ;; *) echo False ;; esac ;;
      *) echo False ;;
    esac ;;
  *) echo '{}' ;;
esac
"""

HOSTILE_NAME = 'it\'s "$(touch PWNED1)" `touch PWNED2`\n touch PWNED3 \\ ; rm -rf ~'


def rich_plan(strategy: Strategy = Strategy.NEW_BUCKET, name: str | None = HOSTILE_NAME) -> Plan:
    """A plan with every kind of step: in place, new bucket, cross-account, two regions."""
    result = scan_result(
        finding("app", ReasonCode.LOCK_NOT_CONFIGURED, account=LOG_ARCHIVE),
        finding("short", ReasonCode.RETENTION_TOO_SHORT, account=LOG_ARCHIVE, region="eu-west-1"),
        finding("gone", ReasonCode.BUCKET_MISSING, account=LOG_ARCHIVE, region="eu-west-1"),
        finding(
            "org",
            ReasonCode.LOCK_NOT_CONFIGURED,
            account=MGMT,
            is_organization_trail=True,
            bucket_name="central-logs",
            bucket_account_id=LOG_ARCHIVE,
        ),
        finding("denied", ReasonCode.ACCESS_DENIED),
        names={MGMT: "management", LOG_ARCHIVE: name},
    )
    return build_plan(result, RemediationSettings(strategy=strategy))


@dataclass
class FakeAws:
    """Runs scripts with the fake ``aws`` first on PATH and reads back what it was called with."""

    folder: Path
    log: Path

    def run(
        self,
        script: Path,
        *args: str,
        account: str,
        done: bool = False,
        profile: str | None = None,
        deny: str = "",
    ) -> subprocess.CompletedProcess[str]:
        """Run ``script`` with ``args`` as if the credentials belonged to ``account``."""
        env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
        env.update(
            PATH=f"{self.folder}:{env['PATH']}",
            FAKE_AWS_LOG=str(self.log),
            FAKE_ACCOUNT=account,
            FAKE_DONE="1" if done else "0",
            FAKE_DENY=deny,
        )
        if profile is not None:
            env["AWS_PROFILE"] = profile
        return subprocess.run(
            ["bash", str(script), *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=script.parent,
            timeout=60,
            check=False,
        )

    def calls(self) -> list[list[str]]:
        """Every call so far: the AWS_PROFILE seen, then the arguments."""
        if not self.log.exists():
            return []
        records = self.log.read_text(encoding="utf-8").split("\x1e")
        return [record.split("\x1f")[:-1] for record in records if record]


def assert_shell_clean(path: Path) -> None:
    """``path`` parses as bash and shellcheck finds nothing, down to style."""
    subprocess.run(["bash", "-n", str(path)], check=True)
    shellcheck = Path(sys.executable).parent / "shellcheck"
    checked = subprocess.run(
        [str(shellcheck), "--severity=style", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout
