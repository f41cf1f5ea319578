"""Shared steps of the closed-loop tests: the demo organization, one extra cross-account case,
and a scan of it."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from orgscan.aws.sessions import SessionFactory
from orgscan.cli import app
from orgscan.config import ScanSettings, build_settings
from orgscan.model import ErrorStage, Finding, ScanResult, Status
from orgscan.remediation.plan_model import Plan
from orgscan.scan import scan_organization
from orgscan.simulate import SimulatedOrg
from orgscan.simulate.demo import CENTRAL_BUCKET
from tests.builders import timeless

#: A bucket of the log-archive account, unlocked and empty, used by another account's trail
#: homed in another region (us-east-1).
SHARED_BUCKET = "acme-shared-unlocked-logs"
SHARED_REGION = "eu-west-1"
CROSS_ACCOUNT_TRAIL = "identity-prod-trail"
#: The demo's organization trail, delivering to CENTRAL_BUCKET.
ORG_TRAIL = "acme-org-trail"


def add_cross_account_case(org: SimulatedOrg, sessions: SessionFactory) -> str:
    """Point identity-prod's trail at a new unlocked bucket owned by log-archive; its ARN."""
    sessions.client(org.log_archive_account_id, "s3", SHARED_REGION).create_bucket(
        Bucket=SHARED_BUCKET, CreateBucketConfiguration={"LocationConstraint": SHARED_REGION}
    )
    trail = org.trail(CROSS_ACCOUNT_TRAIL)
    sessions.client(trail.account_id, "cloudtrail", trail.home_region).update_trail(
        Name=trail.name, S3BucketName=SHARED_BUCKET
    )
    return trail.trail_arn


def scan_settings(org: SimulatedOrg) -> ScanSettings:
    """The settings of a scan of the simulated organization: its regions and its policy."""
    return build_settings(
        None,
        {
            "regions": list(org.regions),
            "workers": 8,
            "min_retention_days": org.policy.min_retention_days,
            "require_mode": org.policy.require_mode.value,
            "require_log_file_validation": org.policy.require_log_file_validation,
        },
    )


def scan(org: SimulatedOrg, sessions: SessionFactory | None = None) -> ScanResult:
    """A full scan of the simulated organization with fresh sessions (or ``sessions``)."""
    return scan_organization(scan_settings(org), sessions or SessionFactory(max_pool_connections=8))


def demo_scan_args(org: SimulatedOrg, output_dir: Path) -> list[str]:
    """`orgscan scan` of the simulated organization with its regions and policy, into
    ``output_dir``."""
    return [
        "scan",
        "--regions",
        ",".join(org.regions),
        "--min-retention-days",
        str(org.policy.min_retention_days),
        "--require-mode",
        org.policy.require_mode.value,
        "--output-dir",
        str(output_dir),
    ]


def recorded_run(org: SimulatedOrg, out: Path) -> Path:
    """Scan ``org`` (in the active mock) with `orgscan scan` into ``out``: a sealed run folder
    with its recorded AWS responses, as the commands that act on a run require."""
    scanned = CliRunner().invoke(app, [*demo_scan_args(org, out), "--quiet"])
    assert scanned.exit_code == 1, scanned.output  # the demo organization fails on purpose
    (run_dir,) = [path for path in out.iterdir() if path.is_dir() and not path.is_symlink()]
    return run_dir


def assert_central_logs_unchanged(org: SimulatedOrg) -> None:
    """The log archive's central bucket keeps its COMPLIANCE 365-day rule, and the
    organization trail still delivers there."""
    sessions = SessionFactory()
    s3 = sessions.client(org.log_archive_account_id, "s3", "us-east-1")
    rule = s3.get_object_lock_configuration(Bucket=CENTRAL_BUCKET)["ObjectLockConfiguration"][
        "Rule"
    ]["DefaultRetention"]
    assert (rule["Mode"], rule["Days"]) == ("COMPLIANCE", 365)
    trail = sessions.client(org.management_account_id, "cloudtrail", "us-east-1").get_trail(
        Name=org.trail(ORG_TRAIL).trail_arn
    )["Trail"]
    assert trail["S3BucketName"] == CENTRAL_BUCKET


def by_arn(result: ScanResult) -> dict[str, Finding]:
    """The findings of ``result`` by trail ARN, without ``latest_delivery_time`` (moto dates
    every logging trail's last delivery at the second of the call)."""
    return {finding.trail_arn: finding for finding in timeless(result.findings)}


def fixed_arns(plan: Plan) -> set[str]:
    """The trail ARNs of every finding the plan has steps for."""
    return {arn for entry in plan.entries if entry.steps for arn in entry.findings}


def assert_fixed_and_nothing_else_changed(
    before: ScanResult, after: ScanResult, plan: Plan
) -> None:
    """Every finding with steps is now PASS; every other finding is exactly as it was (but
    for moto's per-second delivery time); the only errors gone are the bucket reads of
    buckets the plan moved trails off."""
    old, new = by_arn(before), by_arn(after)
    assert set(old) == set(new)
    fixed = fixed_arns(plan)
    for arn, finding in old.items():
        if arn in fixed:
            assert new[arn].status is Status.PASS, (arn, new[arn].reason)
        else:
            assert timeless((new[arn],)) == timeless((finding,)), arn
    moved = {entry.bucket_name for entry in plan.entries if entry.new_bucket_name}
    kept = [
        error
        for error in before.errors
        if error.stage is not ErrorStage.BUCKET
        or not any(error.message.startswith(f"{bucket}:") for bucket in moved)
    ]
    assert list(after.errors) == kept
