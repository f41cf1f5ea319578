"""Plan entries of kind ``retro-lock`` (contract §5.4): the log files a passing bucket received
before its lock, given retention where they are by S3 Batch Operations jobs.

One entry per PASS bucket whose pre-lock count found unprotected files, acted on by the
bucket's owner in the bucket's region (a Batch Operations job runs where its bucket is). Its
steps are ``retrolock``'s ``CreateJob`` requests, one per month of logs, as plain JSON (times
as ISO-8601 strings, which botocore and the AWS CLI both take for a timestamp). Each step's
check lists the account's jobs that are not failed or cancelled and finds one with the
step's description: the job was made before, so it is not made again (its client request
token also makes AWS answer a repeated request with the first job).

The jobs run in GOVERNANCE mode unless the plan's settings say COMPLIANCE (``--mode
COMPLIANCE``): COMPLIANCE cannot be shortened or removed by anyone until it ends. They are
part of every plan and script, but ``remediate --apply`` creates them only with
``--retro-lock``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from orgscan.model import Finding, LockMode, ScanResult, Status
from orgscan.remediation.plan_model import (
    Check,
    EntryKind,
    PlanEntry,
    RemediationSettings,
    Service,
    Step,
)
from orgscan.remediation.retrolock import REPORT_PREFIX, ROLE_NAME, retro_lock_jobs
from orgscan.remediation.steps import jmespath_literal

#: Job states in which a job is made and has not failed: such a job is not made again.
LIVE_JOB_STATES = (
    "Active",
    "Complete",
    "Completing",
    "New",
    "Paused",
    "Pausing",
    "Preparing",
    "Ready",
    "Suspended",
)


def job_mode(settings: RemediationSettings) -> LockMode:
    """The retention mode of the jobs: COMPLIANCE only when asked for, else GOVERNANCE."""
    return LockMode.COMPLIANCE if settings.mode is LockMode.COMPLIANCE else LockMode.GOVERNANCE


def retro_lock_entries(result: ScanResult, settings: RemediationSettings) -> list[PlanEntry]:
    """One ``retro-lock`` entry per PASS bucket whose count found unprotected files; none when
    the run's start is no time (a findings.json edited by hand: the reader shows such text as
    it is), as the jobs' retention runs from it."""
    try:
        started = _parse(result.run.started_at)
    except ValueError:
        return []
    mode = job_mode(settings)
    by_bucket: dict[str, list[Finding]] = {}
    for finding in sorted(result.findings, key=lambda f: f.trail_arn):
        if finding.status is Status.PASS and finding.prelock is not None:
            by_bucket.setdefault(finding.bucket_name, []).append(finding)
    entries = []
    for bucket in sorted(by_bucket):
        findings = by_bucket[bucket]
        # The count is made once per bucket: every finding of the bucket carries the same one.
        jobs = retro_lock_jobs(findings[0], started, mode=mode, partition=_partition(findings))
        if jobs:
            entries.append(_entry(findings, [job.request for job in jobs], mode))
    return entries


def _entry(
    findings: Sequence[Finding], requests: list[dict[str, Any]], mode: LockMode
) -> PlanEntry:
    first = findings[0]
    owner, region = first.bucket_account_id, first.bucket_region
    # retro_lock_jobs makes no job without them
    assert owner is not None
    assert region is not None
    count = first.prelock
    assert count is not None
    arns = tuple(f.trail_arn for f in findings)
    steps = tuple(_job_step(owner, region, _plain(request), arns) for request in requests)
    warnings = [
        "Each job is charged per job and per object it processes, plus its requests and the "
        "manifest S3 generates (see https://aws.amazon.com/s3/pricing/, Batch Operations).",
        f"The jobs run as the role {ROLE_NAME}, which must exist in account {owner} first: "
        "orgscan remediate --iam-policy --retro-lock prints its policy and trust policy.",
    ]
    if mode is LockMode.COMPLIANCE:
        warnings.append(
            "COMPLIANCE mode cannot be undone: no one, not even the root user, can delete "
            "these log files or shorten their retention until it ends."
        )
    return PlanEntry(
        bucket_name=first.bucket_name,
        bucket_account_id=owner,
        acting_account_id=owner,
        region=region,
        strategy=None,
        findings=arns,
        reason_codes=tuple(f.reason_code for f in findings),
        retention=None,
        new_bucket_name=None,
        steps=steps,
        explanation=(
            f"{count.unprotected} of {count.checked} log files looked at were written before "
            f"the lock and have no retention in force: {len(steps)} S3 Batch Operations "
            f"job(s) put {mode.value} retention on the versions under the trails' AWSLogs/ "
            "prefixes created before the lock, where they are (never copied), one job per "
            f"month; each writes its completion report under {REPORT_PREFIX}/ in the bucket."
        ),
        warnings=tuple(warnings),
        kind=EntryKind.RETRO_LOCK,
        accounts=(owner,),
    )


def _job_step(owner: str, region: str, request: dict[str, Any], arns: tuple[str, ...]) -> Step:
    description = str(request["Description"])
    return Step(
        account_id=owner,
        region=region,
        service=Service.S3CONTROL,
        operation="CreateJob",
        parameters=request,
        description=f"Create the job '{description}' (retention on files before the lock).",
        fixes=arns,
        check=Check(
            "ListJobs",
            {"AccountId": owner, "JobStatuses": list(LIVE_JOB_STATES), "MaxResults": 1000},
            f"!!(Jobs[?Description == {jmespath_literal(description)}])",
        ),
    )


def _plain(value: Any) -> Any:
    """``value`` with every datetime as ISO-8601 UTC text: a plan holds plain JSON data."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _partition(findings: Sequence[Finding]) -> str:
    return findings[0].trail_arn.split(":")[1] or "aws"


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def retro_lock_problems(entry: PlanEntry, findings: Mapping[str, Finding]) -> list[str]:
    """Why the steps of a ``retro-lock`` entry may not run against the run's findings: each
    must be a retention job of the bucket's owner over the entry's bucket, reporting into it,
    run as orgscan's role, never bypassing a retention."""
    covered = [findings.get(arn) for arn in entry.findings]
    if not covered or any(f is None or f.status is not Status.PASS for f in covered):
        return ["its findings are not passing buckets of this run"]
    owner = next(f.bucket_account_id for f in covered if f is not None)
    problems = []
    for index, step in enumerate(entry.steps, start=1):
        request = step.parameters
        try:
            generator = request["ManifestGenerator"]["S3JobManifestGenerator"]
            operation = request["Operation"]["S3PutObjectRetention"]
            sound = (
                step.operation == "CreateJob"
                and step.account_id == owner == request["AccountId"]
                and generator["SourceBucket"].rsplit(":", 1)[-1] == entry.bucket_name
                and generator["ExpectedBucketOwner"] == owner
                and request["Report"]["Bucket"] == generator["SourceBucket"]
                and request["RoleArn"].endswith(f":iam::{owner}:role/{ROLE_NAME}")
                and operation["BypassGovernanceRetention"] is False
                and set(request["Operation"]) == {"S3PutObjectRetention"}
            )
        except (KeyError, TypeError, AttributeError):
            sound = False
        if not sound:
            problems.append(
                f"step {index} {step.operation}: not a retention job of the bucket's owner "
                "over its own bucket"
            )
    return problems
