"""``orgscan verify --recompute``: re-derive every finding from the recorded AWS responses.

The recorded answers (``evidence_file``) are replayed through the scan's own readers
(``replay``), and the rule judges the facts with the run's policy. Any difference from
``findings.json`` means the file says something the evidence does not support.

Account verdicts are re-derived by ``verdicts.with_verdicts`` from the re-derived findings and
each scanned account's regions: those whose recorded DescribeTrails answer was read (scanned),
and those planned but not read (failed), which are the regions DescribeTrails was asked about
or an ``errors[]`` row names for the account (a region that is not enabled fails before any
call; an interrupted scan names every region it did not get to). A region whose DescribeTrails
call was refused without an error row was denied by an organization policy as configured
(``denied_regions``): neither scanned nor failed, as in the scan.

``reason`` is wording, and wording changes between versions (the advice a sentence gives), so it
is compared only for a run this version of orgscan wrote; a run written by another version is
held to the facts the sentence rests on (status, reason code and every other evidenced field),
and the recomputation says once that the wording was not compared.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from orgscan import __version__
from orgscan.aws.recorder import EVIDENCE_FILE
from orgscan.collect.trails import read_trail_health
from orgscan.error_codes import NOT_RECORDED
from orgscan.evidence.evidence_file import EvidenceFileError, RecordedEvidence, load_evidence
from orgscan.evidence.prelock_replay import PrelockReplay
from orgscan.evidence.replay import (
    ReplayHealth,
    recorded_owners,
    replay_bucket,
    replay_integrity,
)
from orgscan.evidence.tamper_diff import recompute_tamper, tamper_differences
from orgscan.facts import AwsError, BucketFacts, Trail
from orgscan.findings import load_run
from orgscan.model import (
    AccountCoverage,
    AccountState,
    ErrorStage,
    Finding,
    Policy,
    ScanResult,
    Status,
)
from orgscan.prelock.step import assess as assess_prelock
from orgscan.prelock.step import subjects as prelock_subjects
from orgscan.prelock.step import with_prelock
from orgscan.prelock_count import Prelock
from orgscan.rule import judged_outside, trail_finding
from orgscan.verdicts import AccountRegions, with_verdicts

#: The finding fields the evidence decides (the trail's own fields are compared by ARN).
EVIDENCED_FIELDS = (
    "account_id",
    "trail_name",
    "home_region",
    "is_organization_trail",
    "is_multi_region",
    "bucket_name",
    "bucket_account_id",
    "bucket_region",
    "object_lock_enabled",
    "lock_mode",
    "retention_days",
    "versioning",
    "status",
    "reason_code",
    "reason",
    "is_logging",
    "latest_delivery_error",
    "management_events",
    "global_service_events",
    "latest_delivery_time",
    "delivering",
    "log_file_validation",
    "kms_key_arn",
    "prelock",
    "mfa_delete",
    "kms_key_state",
    "kms_key_rotation",
    "lifecycle_expiration_days",
    "public_access_blocked",
    "integrity",
)
#: The account fields the evidence decides, through the findings and the regions read.
EVIDENCED_ACCOUNT_FIELDS = ("verdict", "verdict_code", "protected_by", "gaps")
_UNSUPPORTED = "no recorded AWS response reads this bucket"


@dataclass(frozen=True)
class Recomputation:
    """What ``verify --recompute`` found: every difference, one line each, and a note on what
    was not compared (None when everything was)."""

    differences: list[str]
    note: str | None


def recompute_run(run_dir: Path) -> list[str]:
    """Every difference between ``run_dir``'s findings.json and what its evidence supports,
    as one line each; an empty list when they agree."""
    return recompute(run_dir).differences


def recompute(run_dir: Path) -> Recomputation:
    """``recompute_run``'s differences, with the note saying when the ``reason`` wording was
    not compared (the run was written by another version of orgscan)."""
    result = load_run(run_dir)
    path = run_dir / EVIDENCE_FILE
    if not path.is_file():
        raise EvidenceFileError(f"{path}: missing; the run recorded no AWS responses")
    evidence = load_evidence(path)
    recomputed = {finding.trail_arn: finding for finding in recompute_findings(result, evidence)}
    differences = _finding_differences(result, recomputed)
    note = wording_note(result)
    differences += tamper_differences(
        result, recompute_tamper(result, recomputed, evidence), compare_wording=note is None
    )
    regions = account_regions(result, evidence)
    accounts = with_verdicts(result.accounts, list(recomputed.values()), regions)
    differences += account_differences(result.accounts, accounts)
    return Recomputation(differences, note)


def wording_note(result: ScanResult) -> str | None:
    """Why the ``reason`` sentences were not compared, or None when they were (the run was
    written by this version of orgscan)."""
    written_by = result.run.tool_version
    if written_by == __version__:
        return None
    return (
        f"the reason sentences were not compared: the run was written by orgscan {written_by} "
        f"(this is {__version__}), whose wording may differ; the facts they rest on were"
    )


def recompute_findings(result: ScanResult, evidence: RecordedEvidence) -> list[Finding]:
    """A finding for every trail the recorded DescribeTrails answers name, judged from the
    recorded bucket reads with ``result``'s policy, as the scan would have judged it."""
    by_bucket: dict[str, list[Trail]] = {}
    scanned = {account.account_id for account in result.accounts if account.scanned}
    for trail in evidence.trails.values():
        # The management account's own trails read for the members are findings only when
        # they are organization trails, as in the scan.
        if trail.is_organization_trail or evidence.listed_by.get(trail.trail_arn, set()) & scanned:
            by_bucket.setdefault(trail.bucket_name, []).append(trail)
    owners, listed_ok = recorded_owners(evidence, set(by_bucket))
    scope = result.run.scope
    active = [a.account_id for a in result.accounts if a.state == AccountState.ACTIVE]
    started = datetime.fromisoformat(result.run.started_at.replace("Z", "+00:00"))
    read: dict[str, BucketFacts | None] = {}
    for bucket, trails in by_bucket.items():
        facts = replay_bucket(evidence, bucket, owners.get(bucket), trails)
        read[bucket] = (
            judged_outside(
                facts,
                use_org=scope is not None and scope.org,
                owned=owners,
                active=active,
                listed_ok=listed_ok,
            )
            if facts is not None
            else None
        )
    # The bucket owners' and keys' integrity reads, as the scan made them (contract 5.2).
    owners_read = {
        f.bucket_account_id for f in read.values() if f and f.error is None and f.bucket_account_id
    }
    all_trails = [trail for trails in by_bucket.values() for trail in trails]
    reads = replay_integrity(evidence, all_trails, {o for o in owners_read if o is not None})
    findings: list[Finding] = []
    for bucket, trails in by_bucket.items():
        facts = read[bucket]
        for trail in trails:
            health = read_trail_health(ReplayHealth(evidence), trail.trail_arn)
            findings.append(
                trail_finding(trail, facts, result.run.policy, health, started, reads)
                if facts is not None
                else _unsupported(trail, result.run.policy, started)
            )
    # Log files before the lock (contract 5.4): the same count from the recorded reads.
    targets = prelock_subjects(findings, lambda finding: finding.s3_key_prefix)
    counts = assess_prelock(targets, PrelockReplay(evidence), started, result.run.policy)
    return list(with_prelock(findings, counts))


def account_regions(result: ScanResult, evidence: RecordedEvidence) -> dict[str, AccountRegions]:
    """The regions of each scanned account as the scan saw them: read, or planned and not
    read, from the recorded DescribeTrails calls and ``result``'s ``errors[]`` rows."""
    failed_rows: dict[str, set[str]] = {}
    for error in result.errors:
        if error.region is not None and error.stage in (ErrorStage.REGIONS, ErrorStage.TRAILS):
            failed_rows.setdefault(error.account_id, set()).add(error.region)
    regions: dict[str, AccountRegions] = {}
    for account in result.accounts:
        if not account.scanned:
            continue
        reads = evidence.trail_reads.get(account.account_id, {})
        rows = failed_rows.get(account.account_id, set())
        scanned = tuple(sorted(region for region, read in reads.items() if read))
        # A refused call with no error row was an expected organization-policy denial.
        failed = tuple(sorted(rows.difference(scanned)))
        regions[account.account_id] = AccountRegions(scanned=scanned, failed=failed)
    return regions


def account_differences(
    claimed: tuple[AccountCoverage, ...], derived: tuple[AccountCoverage, ...]
) -> list[str]:
    """One line per account field of ``claimed`` (findings.json) that ``derived`` (the
    verdicts re-derived from the evidence) does not support."""
    differences: list[str] = []
    by_id = {account.account_id: account for account in derived}
    for account in sorted(claimed, key=lambda a: a.account_id):
        expected = by_id[account.account_id]
        for name in EVIDENCED_ACCOUNT_FIELDS:
            claimed_value, value = getattr(account, name), getattr(expected, name)
            if claimed_value != value:
                differences.append(
                    f"account {account.account_id}: {name} is "
                    f"{_show(claimed_value)} in findings.json, the evidence "
                    f"gives {_show(value)}"
                )
    return differences


# ---------------------------------------------------------------------- comparing


def _unsupported(trail: Trail, policy: Policy, started: datetime) -> Finding:
    """A trail whose bucket no recorded call read: only ERROR can be claimed for it.

    Built by the rule's own ``trail_finding``, so the trail's fields are set in one place; the
    sentence is the recompute's own, as no AWS call failed."""
    facts = BucketFacts.unreadable(
        trail.bucket_name, None, None, AwsError(NOT_RECORDED, _UNSUPPORTED)
    )
    return replace(trail_finding(trail, facts, policy, None, started), reason=_UNSUPPORTED)


def _finding_differences(result: ScanResult, recomputed: dict[str, Finding]) -> list[str]:
    differences: list[str] = []
    claimed = {finding.trail_arn: finding for finding in result.findings}
    # Another version's sentence may be worded differently for the same facts.
    same_version = wording_note(result) is None
    compared = [name for name in EVIDENCED_FIELDS if same_version or name != "reason"]
    for arn in sorted(set(recomputed) - set(claimed)):
        differences.append(
            f"{arn}: in the recorded DescribeTrails answers, missing from findings.json"
        )
    for arn in sorted(claimed):
        finding = claimed[arn]
        expected = recomputed.get(arn)
        if expected is None:
            differences.append(
                f"{arn}: in findings.json, but no recorded DescribeTrails answer names it"
            )
            continue
        if expected.reason == _UNSUPPORTED and finding.status is Status.ERROR:
            continue  # an ERROR claims nothing about the bucket: nothing to support
        for name in compared:
            claimed_value, derived = getattr(finding, name), getattr(expected, name)
            if claimed_value != derived:
                differences.append(
                    f"{arn}: {name} is {_show(claimed_value)} in findings.json, "
                    f"the evidence gives {_show(derived)}"
                )
    return differences


def _show(value: object) -> str:
    if isinstance(value, Prelock):  # an object of findings.json: shown as it is written there
        return json.dumps(value.to_dict(), sort_keys=True)
    return "null" if value is None else repr(getattr(value, "value", value))
