"""What to fix per failing bucket: the Remediation sheet's rows and the page's bucket sections.

``remediation_rows`` is the one entry point both reports call. Without a remediation plan the
steps are derived from the finding's reason code and the run's policy; a plan, when the report
inputs carry one, contributes its own strategy and script per bucket through the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from orgscan.model import Policy, ReasonCode, RequiredMode, Status
from orgscan.remediation.model import PlanEntry
from orgscan.remediation.planfile import REMEDIATION_DIR
from orgscan.reports import ReportInputs
from orgscan.reports.summary import SEVERITY_RANK, BucketSummary, ReportSummary

#: The strategy shown for a plan entry without steps (ERROR findings, unknown owner).
NO_STEPS = "no steps"

#: A finding that needs no action.
_NOTHING_TO_DO = frozenset({Status.PASS})


@dataclass(frozen=True)
class RemediationRow:
    """One failing bucket and what to do about it."""

    bucket: BucketSummary
    strategy: str
    steps: tuple[str, ...]
    #: The script that carries the steps (``remediation/<account>.sh``), once a plan exists.
    script: str | None = None
    #: The plan's one or two sentences on what the steps do, or why there are none.
    summary: str | None = None
    #: Consequences to accept before running the steps (Object Lock cannot be turned off, ...).
    warnings: tuple[str, ...] = ()

    @property
    def script_label(self) -> str:
        """The script cell's text: the script files, or why there is none."""
        if self.script:
            return self.script
        if self.strategy == NO_STEPS:
            return "none: nothing to run"
        return "not generated: follow the steps"


def remediation_rows(inputs: ReportInputs, summary: ReportSummary) -> tuple[RemediationRow, ...]:
    """One row per bucket whose trails are not all PASS, most urgent first.

    ``summary`` is ``summarise(inputs.result)``, passed in because both reports already hold it.
    When ``inputs`` carries the run's remediation plan, a bucket's row shows the plan's strategy,
    steps and script; otherwise (or for a bucket the plan does not cover) the steps are derived
    from the reason code by ``advice_for``.
    """
    policy = inputs.result.run.policy
    entries = {entry.bucket_name: entry for entry in inputs.plan.entries} if inputs.plan else {}
    rows = []
    for bucket in summary.buckets:
        if bucket.status in _NOTHING_TO_DO:
            continue
        entry = entries.get(bucket.bucket_name)
        rows.append(plan_row(bucket, entry) if entry else advice_for(bucket, policy))
    return tuple(rows)


@dataclass(frozen=True)
class FixGroup:
    """The failing buckets of one owner account, with the script(s) that fix them."""

    #: The account that owns the buckets; None when no account of the organization owns them.
    account_id: str | None
    account_name: str | None
    rows: tuple[RemediationRow, ...]
    scripts: tuple[str, ...]

    @property
    def status(self) -> Status:
        """The most urgent status among the group's buckets."""
        return min((row.bucket.status for row in self.rows),
                   key=lambda status: SEVERITY_RANK[status.value])

    @property
    def trails(self) -> int:
        """Trails that deliver into the group's buckets."""
        return sum(len(row.bucket.trail_arns) for row in self.rows)

    @property
    def label(self) -> str:
        """``Log Archive (222222222222)``, the id alone, or ``owner unknown``."""
        if self.account_id is None:
            return "owner unknown"
        return f"{self.account_name} ({self.account_id})" if self.account_name else \
            self.account_id


def fix_groups(rows: tuple[RemediationRow, ...], summary: ReportSummary) -> tuple[FixGroup, ...]:
    """``rows`` grouped by the bucket's owner account, most urgent group first.

    A group with a FAIL comes before one with only ERRORs or WARNs; among equals, the group
    whose buckets receive the most trails first (fixing it protects the most).
    """
    grouped: dict[str | None, list[RemediationRow]] = {}
    for row in rows:
        grouped.setdefault(row.bucket.bucket_account_id, []).append(row)
    groups = [FixGroup(account_id=owner, account_name=summary.account_name(owner),
                       rows=tuple(members), scripts=_scripts(members))
              for owner, members in grouped.items()]
    groups.sort(key=lambda group: (SEVERITY_RANK[group.status.value], -group.trails,
                                   group.account_id is None, group.account_id or ""))
    return tuple(groups)


def _scripts(rows: list[RemediationRow]) -> tuple[str, ...]:
    names = {name.strip() for row in rows if row.script for name in row.script.split(",")}
    return tuple(sorted(names))


def plan_row(bucket: BucketSummary, entry: PlanEntry) -> RemediationRow:
    """The row of ``bucket`` from its remediation plan entry: the plan's words and scripts.

    A step names the account and region that run it only when that is not plainly the bucket's
    own (a replacement bucket for a missing one, a trail owned by another account).
    """
    region = bucket.bucket_region or entry.region
    where = {(step.account_id, step.region) for step in entry.steps}
    say_where = where != {(bucket.bucket_account_id, region)}
    scripts = sorted({f"{REMEDIATION_DIR}/{step.account_id}.sh" for step in entry.steps})
    return RemediationRow(
        bucket=replace(bucket, bucket_region=region),
        strategy=entry.strategy.value if entry.strategy else NO_STEPS,
        steps=tuple((f"Account {step.account_id} ({step.region}): " if say_where else "")
                    + step.description for step in entry.steps),
        script=", ".join(scripts) or None,
        summary=entry.explanation or None,
        warnings=entry.warnings,
    )


def advice_for(bucket: BucketSummary, policy: Policy) -> RemediationRow:
    """The strategy and plain-words steps that bring ``bucket`` to COMPLIANT under ``policy``."""
    strategy, steps = _STEPS[bucket.reason_code](bucket, policy)
    return RemediationRow(
        bucket=bucket,
        strategy=strategy,
        steps=(*steps, _RESCAN),
    )


_RESCAN = "Run orgscan again and check that the bucket is reported COMPLIANT."


def _retention(policy: Policy) -> str:
    mode = (policy.require_mode.value if policy.require_mode is not RequiredMode.ANY
            else "GOVERNANCE or COMPLIANCE")
    days = (f"at least {policy.min_retention_days} days" if policy.min_retention_days
            else "the number of days your log retention rule requires")
    return f"mode {mode}, {days}"


def _default_retention_step(policy: Policy) -> str:
    return ("Set the default retention: put-object-lock-configuration with "
            f"ObjectLockEnabled=Enabled and a DefaultRetention rule ({_retention(policy)}).")


def _enable_in_place(bucket: BucketSummary, policy: Policy) -> tuple[str, list[str]]:
    steps = []
    if bucket.versioning != "Enabled":
        steps.append("Enable versioning on the bucket (put-bucket-versioning Status=Enabled); "
                     "Object Lock requires it.")
    steps.append("Enable Object Lock on the existing bucket: " + _default_retention_step(policy)
                 + " Object Lock cannot be turned off again.")
    return "enable-in-place", steps


def _new_bucket(bucket: BucketSummary, policy: Policy) -> tuple[str, list[str]]:
    return "new-bucket", [
        "Create a new bucket with Object Lock enabled at creation, public access blocked, "
        "versioning and default encryption on.",
        _default_retention_step(policy),
        "Give the new bucket the CloudTrail delivery bucket policy (s3:GetBucketAcl and "
        "s3:PutObject for the CloudTrail service, limited to the trail's ARN).",
        "Point the trail at the new bucket (update-trail --s3-bucket-name).",
    ]


def _set_retention(bucket: BucketSummary, policy: Policy) -> tuple[str, list[str]]:
    return "set-default-retention", [
        "Object Lock is on but new log files are not protected. " + _default_retention_step(policy)]


def _change_mode(bucket: BucketSummary, policy: Policy) -> tuple[str, list[str]]:
    return "change-mode", [
        f"The default mode is {bucket.lock_mode or 'unset'}, weaker than the policy allows. "
        + _default_retention_step(policy) + " Objects already written keep their own retention."]


def _raise_retention(bucket: BucketSummary, policy: Policy) -> tuple[str, list[str]]:
    current = f"{bucket.retention_days} days" if bucket.retention_days is not None else "unset"
    return "raise-retention", [
        f"The default retention is {current}, shorter than the policy requires. "
        + _default_retention_step(policy)]


def _grant_access(bucket: BucketSummary, policy: Policy) -> tuple[str, list[str]]:
    owner = bucket.bucket_account_id or "the bucket owner's account"
    return "grant-read-access", [
        f"The scan could not read the bucket. Let the scan role in {owner} read it "
        "(s3:GetBucketObjectLockConfiguration, s3:GetBucketVersioning, s3:GetBucketLocation), "
        "or add that account to the scan.",
        "Until then the bucket's Object Lock state is unknown: treat it as unprotected."]


def _investigate(bucket: BucketSummary, policy: Policy) -> tuple[str, list[str]]:
    return "investigate", [
        f"Reading the bucket failed: {bucket.reason} Fix the cause (throttling, a region "
        "that is not enabled, a KMS or SCP restriction) before judging the bucket."]


def _nothing(bucket: BucketSummary, policy: Policy) -> tuple[str, list[str]]:
    return "none", []


_STEPS: dict[ReasonCode, Callable[[BucketSummary, Policy], tuple[str, list[str]]]] = {
    ReasonCode.LOCK_NOT_CONFIGURED: _enable_in_place,
    ReasonCode.BUCKET_MISSING: _new_bucket,
    ReasonCode.NO_DEFAULT_RETENTION: _set_retention,
    ReasonCode.MODE_NOT_ALLOWED: _change_mode,
    ReasonCode.RETENTION_TOO_SHORT: _raise_retention,
    ReasonCode.ACCESS_DENIED: _grant_access,
    ReasonCode.API_ERROR: _investigate,
    ReasonCode.COMPLIANT: _nothing,
}
