"""Which control labels a run evidences (contract §5.5): a label only where the run meets it.

Each entry of the control mapping states, in ``evidenced_when``, the conditions under which a
result is evidence for it (``orgscan.controls.ConditionKind``). A finding or account verdict
carries a label only when it and its run meet all of them; the exports attach nothing else. The
workbook and the page show, per control, how many results carry it, or the conditions the run
missed. Everything here is pure: results and the mapping in, decisions out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from orgscan.controls import (
    CONDITION_MODES,
    AppliesTo,
    Condition,
    ConditionKind,
    Control,
    ControlMapping,
    Relation,
)
from orgscan.model import (
    AccountCoverage,
    Finding,
    IntegrityCheck,
    RequiredMode,
    RunInfo,
    ScanResult,
    Status,
)


@dataclass(frozen=True)
class ClaimFacts:
    """What the conditions look at for one result: the result's own facts and its run's."""

    kind: AppliesTo
    passed: bool
    require_mode: RequiredMode
    min_retention_days: int | None
    multi_region_protection: bool
    all_enabled_regions_scanned: bool
    #: The integrity check an exported integrity result is (contract 5.2); None otherwise.
    check: str | None = None


def met(condition: Condition, facts: ClaimFacts) -> bool:
    """Whether ``facts`` meet ``condition``."""
    kind = condition.kind
    if kind is ConditionKind.STATUS_PASS:
        return facts.passed
    if kind is ConditionKind.REQUIRE_MODE:
        # require_mode = GOVERNANCE is met by a COMPLIANCE policy too: it demands more.
        wanted = CONDITION_MODES.index(str(condition.mode)) + 1
        return facts.require_mode.strength >= wanted
    if kind is ConditionKind.MIN_RETENTION_DAYS:
        days = facts.min_retention_days
        return days is not None and days >= (condition.days or 0)
    if kind is ConditionKind.MULTI_REGION_PROTECTION:
        return facts.multi_region_protection
    if kind is ConditionKind.CHECK:
        return facts.check is not None and facts.check == condition.check
    return facts.all_enabled_regions_scanned


def unmet(control: Control, facts: ClaimFacts) -> tuple[Condition, ...]:
    """The conditions of ``control`` that ``facts`` miss, in the file's order."""
    return tuple(condition for condition in control.evidenced_when if not met(condition, facts))


def claimable(control: Control, kind: AppliesTo) -> bool:
    """Whether a result of ``kind`` may ever carry ``control``'s label ("related" ones never:
    orgscan does not test them)."""
    return kind in control.applies_to and control.relation is not Relation.RELATED


def claimed(mapping: ControlMapping, facts: ClaimFacts) -> tuple[Control, ...]:
    """The controls whose labels the result described by ``facts`` carries."""
    return tuple(
        control
        for control in mapping.controls
        if claimable(control, facts.kind) and not unmet(control, facts)
    )


def finding_facts(finding: Finding, run: RunInfo) -> ClaimFacts:
    """The claim facts of a trail's finding."""
    return _facts(AppliesTo.FINDING, finding.status is Status.PASS, finding.is_multi_region, run)


def integrity_facts(finding: Finding, check: IntegrityCheck, run: RunInfo) -> ClaimFacts:
    """The claim facts of one of a trail's integrity checks, exported on its own."""
    facts = _facts(AppliesTo.INTEGRITY, check.status is Status.PASS, finding.is_multi_region, run)
    return replace(facts, check=check.check.value)


def exported_checks(finding: Finding) -> tuple[IntegrityCheck, ...]:
    """The integrity checks the exports carry as results of their own: the failing ones."""
    return tuple(check for check in finding.integrity if check.status is Status.FAIL)


def account_facts(
    account: AccountCoverage, run: RunInfo, findings: Mapping[str, Finding]
) -> ClaimFacts:
    """The claim facts of an account verdict; ``findings`` by trail ARN. A multi-region trail
    that protects the account in one scanned region protects it in every one (the same trail,
    status and finding), so one among ``protected_by`` is enough."""
    multi = any(arn in findings and findings[arn].is_multi_region for arn in account.protected_by)
    return _facts(AppliesTo.ACCOUNT, account.verdict is Status.PASS, multi, run)


def _facts(kind: AppliesTo, passed: bool, multi_region: bool, run: RunInfo) -> ClaimFacts:
    return ClaimFacts(
        kind=kind,
        passed=passed,
        require_mode=run.policy.require_mode,
        min_retention_days=run.policy.min_retention_days,
        multi_region_protection=multi_region,
        # A run without a recorded scope cannot show which regions it was asked for.
        all_enabled_regions_scanned=run.scope is not None and run.scope.regions is None,
    )


@dataclass(frozen=True)
class ControlStanding:
    """One control in this run: how many results carry its label, or why none does."""

    control: Control
    findings: int
    accounts: int
    missed: tuple[str, ...]  # the unmet conditions, each with what the run had instead
    checks: int = 0  # failing integrity checks exported with the label

    @property
    def evidenced(self) -> bool:
        """Whether at least one result of the run carries the label."""
        return bool(self.findings or self.accounts or self.checks)

    def describe(self) -> str:
        """One line for the workbook and the page."""
        if self.control.relation is Relation.RELATED:
            return "not tested by orgscan: never attached to a result"
        if self.evidenced:
            counts = [
                f"{count} {noun}{'' if count == 1 else 's'}"
                for count, noun in (
                    (self.findings, "finding"),
                    (self.accounts, "account verdict"),
                    (self.checks, "failing integrity check"),
                )
                if count
            ]
            return "evidenced by " + " and ".join(counts)
        return "not evidenced by this run: " + "; ".join(self.missed or ("no result to judge",))


def result_facts(result: ScanResult) -> list[ClaimFacts]:
    """The claim facts of every finding, then of every account verdict (unscanned accounts
    have no verdict and are left out, as in the exports)."""
    by_arn = {finding.trail_arn: finding for finding in result.findings}
    return (
        [finding_facts(finding, result.run) for finding in result.findings]
        + [
            account_facts(account, result.run, by_arn)
            for account in result.accounts
            if account.verdict is not None
        ]
        + [
            integrity_facts(finding, check, result.run)
            for finding in result.findings
            for check in exported_checks(finding)
        ]
    )


def standings(mapping: ControlMapping, result: ScanResult) -> tuple[ControlStanding, ...]:
    """Every control of ``mapping`` as ``result`` stands against it, in the file's order."""
    facts = result_facts(result)
    return tuple(_standing(control, facts, result.run) for control in mapping.controls)


def _standing(control: Control, facts: Sequence[ClaimFacts], run: RunInfo) -> ControlStanding:
    relevant = [fact for fact in facts if claimable(control, fact.kind)]
    misses = [unmet(control, fact) for fact in relevant]
    carried = [fact for fact, miss in zip(relevant, misses, strict=True) if not miss]
    missed: tuple[Condition, ...] = ()
    if relevant and not carried:
        # Name what every result missed (the run's policy or scope) when there is such a
        # thing; otherwise each condition some result missed.
        common = [c for c in control.evidenced_when if all(c in miss for miss in misses)]
        missed = tuple(common or dict.fromkeys(c for miss in misses for c in miss))
    return ControlStanding(
        control=control,
        findings=sum(fact.kind is AppliesTo.FINDING for fact in carried),
        accounts=sum(fact.kind is AppliesTo.ACCOUNT for fact in carried),
        checks=sum(fact.kind is AppliesTo.INTEGRITY for fact in carried),
        missed=tuple(_explain(condition, run) for condition in missed),
    )


def _explain(condition: Condition, run: RunInfo) -> str:
    kind = condition.kind
    if kind is ConditionKind.REQUIRE_MODE:
        had = f"this run: {run.policy.require_mode.value}"
    elif kind is ConditionKind.MIN_RETENTION_DAYS:
        days = run.policy.min_retention_days
        had = f"this run: {days if days is not None else 'none'}"
    elif kind is ConditionKind.ALL_ENABLED_REGIONS_SCANNED:
        regions = run.scope.regions if run.scope is not None else None
        had = f"this run: --regions {','.join(regions)}" if regions else "this run records no scope"
    elif kind is ConditionKind.MULTI_REGION_PROTECTION:
        had = "no result protected by a multi-region trail"
    elif kind is ConditionKind.CHECK:
        had = "no trail failed it"
    else:
        had = "no result passed"
    return f"{condition.text} ({had})"
