"""Account verdicts for report tests, derived from a result's findings by the contract's rule.

The reports render ``accounts[].verdict``; they never compute it. These helpers give test
results (the hand-built fixture, a scale organization's findings) the verdicts, gaps and
``protected_by`` a judging scan would record, so the reports can be exercised on them.
The rule, per scanned account and region: a trail protects (account, region) when it records the
account (owns it, or is an organization trail) and the region (multi-region, or homed there),
logs, records all management events and has a PASS finding.
"""

from __future__ import annotations

from dataclasses import replace

from orgscan.model import (
    AccountCoverage,
    AccountGap,
    AccountVerdictCode,
    ErrorStage,
    Finding,
    ManagementEvents,
    ScanResult,
    Status,
)

_FAIL_RANK = {
    ("NOT_RECORDED", Status.FAIL): 0,
    ("UNPROTECTED", Status.FAIL): 0,
    ("UNKNOWN", Status.ERROR): 1,
    ("UNPROTECTED", Status.WARN): 2,
}


def healthy(
    result: ScanResult, *, not_logging_every: int = 0, read_only_every: int = 0
) -> ScanResult:
    """``result`` with every trail logging all management events, except every Nth one
    (not logging with a delivery error, or recording read-only events) when asked."""
    findings = []
    for index, finding in enumerate(result.findings, start=1):
        finding = replace(
            finding,
            is_logging=True,
            management_events=ManagementEvents.ALL,
            latest_delivery_error=None,
        )
        if not_logging_every and index % not_logging_every == 0:
            finding = replace(finding, is_logging=False, latest_delivery_error="NoSuchBucket")
        elif read_only_every and index % read_only_every == 0:
            finding = replace(finding, management_events=ManagementEvents.READ_ONLY)
        findings.append(finding)
    return replace(result, findings=tuple(findings))


def with_verdicts(result: ScanResult) -> ScanResult:
    """``result`` with a verdict, code, gaps and ``protected_by`` on every scanned account."""
    failed_regions = {
        (e.account_id, e.region)
        for e in result.errors
        if e.stage in (ErrorStage.REGIONS, ErrorStage.TRAILS)
    }
    owned: dict[str, list[Finding]] = {}
    for finding in result.findings:
        owned.setdefault(finding.account_id, []).append(finding)
    org_trails = [f for f in result.findings if f.is_organization_trail]
    accounts = tuple(
        _judge(
            account,
            result.run.regions,
            org_trails
            + [f for f in owned.get(account.account_id, []) if not f.is_organization_trail],
            failed_regions,
        )
        if account.scanned
        else account
        for account in result.accounts
    )
    return replace(result, accounts=accounts)


def _records(finding: Finding, account_id: str, region: str) -> bool:
    return (finding.account_id == account_id or finding.is_organization_trail) and (
        finding.is_multi_region or finding.home_region == region
    )


def _judge(
    account: AccountCoverage,
    regions: tuple[str, ...],
    candidates: list[Finding],
    failed_regions: set[tuple[str, str | None]],
) -> AccountCoverage:
    gaps: list[tuple[AccountGap, Status]] = []
    protected_by: set[str] = set()
    for region in regions:
        recording = [f for f in candidates if _records(f, account.account_id, region)]
        good = [
            f
            for f in recording
            if f.is_logging is True and f.management_events is ManagementEvents.ALL
        ]
        unknown = [f for f in recording if f.is_logging is None or f.management_events is None]
        passing = [f for f in good if f.status is Status.PASS]
        if passing:
            protected_by.update(f.trail_arn for f in passing)
            continue
        if (account.account_id, region) in failed_regions:
            gaps.append((AccountGap(region, AccountVerdictCode.UNKNOWN), Status.ERROR))
        elif not good and not unknown:
            gaps.append((AccountGap(region, AccountVerdictCode.NOT_RECORDED), Status.FAIL))
        elif good and not unknown and all(f.status is not Status.ERROR for f in good):
            best = Status.WARN if any(f.status is Status.WARN for f in good) else Status.FAIL
            gaps.append((AccountGap(region, AccountVerdictCode.UNPROTECTED), best))
        else:
            gaps.append((AccountGap(region, AccountVerdictCode.UNKNOWN), Status.ERROR))
    if not gaps:
        verdict, code = Status.PASS, AccountVerdictCode.PROTECTED
    else:
        gap, verdict = min(gaps, key=lambda item: _FAIL_RANK[(item[0].code.value, item[1])])
        code = gap.code
    return replace(
        account,
        verdict=verdict,
        verdict_code=code,
        protected_by=tuple(sorted(protected_by)),
        gaps=tuple(gap for gap, _ in gaps),
    )
