"""Which plan entries to run first: one pure ranking that ``remediate``, the page and the
Remediation sheet all follow.

An entry ranks by what it changes for the auditor's question. First the accounts it makes
PROTECTED on its own (every gap of the account closed), then the (account, region) gaps it
closes: a gap closes when a trail whose bucket the entry fixes would protect that account and
region once its finding passes (``orgscan.verdicts.protects``). Then how bad the bucket is (a
FAIL before a WARN; no lock, missing, no default retention, too short), then whether it touches
an account the ``priority_accounts`` setting names (production OUs or names), then the trails
it fixes. An
organization trail's unlocked bucket thus comes before a dev bucket's short retention.
Integrity fixes (contract 5.2: log file validation, the trail's key, Block Public Access) rank
after every lock and recording fix: they strengthen what a lock already keeps.
"""

from __future__ import annotations

import fnmatch
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from orgscan.model import AccountCoverage, Finding, ReasonCode, ScanResult, Status
from orgscan.remediation.plan_model import EntryKind, Plan, PlanEntry
from orgscan.remediation.planfile import REMEDIATION_DIR
from orgscan.remediation.recording import as_recorded
from orgscan.verdicts import protects
from orgscan.wording import plural

#: How bad a bucket is, most urgent first: a bucket that protects nothing, one that is gone,
#: one that protects no new file, one that protects for too short a time.
SEVERITY: Mapping[ReasonCode, int] = {
    ReasonCode.LOCK_NOT_CONFIGURED: 0,
    ReasonCode.BUCKET_MISSING: 1,
    ReasonCode.NO_DEFAULT_RETENTION: 2,
    ReasonCode.MODE_NOT_ALLOWED: 3,
    ReasonCode.RETENTION_TOO_SHORT: 3,
}
_OTHER = len(set(SEVERITY.values()))


@dataclass(frozen=True)
class RankedEntry:
    """A plan entry with steps and what running it changes."""

    entry: PlanEntry
    #: Accounts that become PROTECTED once this entry's steps run (sorted).
    accounts: tuple[str, ...]
    #: (account, region) gaps the entry closes.
    regions: int
    #: The worst status among the entry's findings (a FAIL before a WARN).
    status: Status
    #: ``SEVERITY`` of the entry's worst reason (0 most urgent).
    severity: int
    #: The entry touches an account ``priority_accounts`` names.
    priority: bool

    @property
    def scripts(self) -> tuple[str, ...]:
        """The accounts whose scripts carry the steps, the acting account first."""
        owners = dict.fromkeys(step.account_id for step in self.entry.steps)
        first = self.entry.acting_account_id
        return tuple(sorted(owners, key=lambda account: (account != first, account)))


def matches_priority(account: AccountCoverage, patterns: Iterable[str]) -> bool:
    """True when ``account`` is named by a ``priority_accounts`` pattern.

    A pattern starting with ``/`` is an OU path and matches that OU and every OU below it
    (``/Root/Workloads/Prod``); any other is matched, without case, against the account's id
    and name (``prod-*``, ``*-production``).
    """
    for pattern in patterns:
        if pattern.startswith("/"):
            path = account.ou_path or ""
            if path == pattern.rstrip("/") or path.startswith(pattern.rstrip("/") + "/"):
                return True
        elif any(
            fnmatch.fnmatchcase(value.lower(), pattern.lower())
            for value in (account.account_id, account.name or "")
        ):
            return True
    return False


class _LastRanking:
    """The last ranking made, for as long as its plan and result live: the page ranks the same
    plan four times (buckets, trails, entries, what to run first), the workbook as often."""

    def __init__(self) -> None:
        self._key: tuple[weakref.ref[Plan], weakref.ref[ScanResult]] | None = None
        self._ranked: tuple[RankedEntry, ...] = ()

    def get(self, plan: Plan, result: ScanResult) -> tuple[RankedEntry, ...] | None:
        """The ranking of ``plan`` and ``result`` (these very objects), if it is the last."""
        if self._key is None or self._key[0]() is not plan or self._key[1]() is not result:
            return None
        return self._ranked

    def put(self, plan: Plan, result: ScanResult, ranked: tuple[RankedEntry, ...]) -> None:
        """Keep ``ranked``; dropped when ``plan`` or ``result`` is, never keeping them alive."""
        self._key = (weakref.ref(plan, self._drop), weakref.ref(result, self._drop))
        self._ranked = ranked

    def _drop(self, _gone: object) -> None:
        self._key, self._ranked = None, ()


_LAST = _LastRanking()


def rank_plan(plan: Plan, result: ScanResult) -> tuple[RankedEntry, ...]:
    """The entries of ``plan`` that have steps, the one to run first first."""
    ranked = _LAST.get(plan, result)
    if ranked is None:
        ranked = _rank(plan, result)
        _LAST.put(plan, result, ranked)
    return ranked


def _rank(plan: Plan, result: ScanResult) -> tuple[RankedEntry, ...]:
    findings = {finding.trail_arn: finding for finding in result.findings}
    gaps = {a.account_id: {gap.region for gap in a.gaps} for a in result.accounts if a.gaps}
    patterns = plan.settings.priority_accounts
    wanted = {a.account_id for a in result.accounts if matches_priority(a, patterns)}
    ranked = []
    for entry in plan.entries:
        if not entry.steps:
            continue
        mine = [findings[arn] for arn in entry.findings if arn in findings]
        if entry.kind is EntryKind.INTEGRITY:
            # It changes no lock and closes no gap: the findings stay as they are.
            fixed = []
        elif entry.kind is EntryKind.RECORDING:
            # It changes how the trail records, not its bucket: the finding keeps its status.
            fixed = [as_recorded(finding, entry.gaps) for finding in mine]
        else:
            fixed = [replace(finding, status=Status.PASS) for finding in mine]
        closed = _closed_gaps(fixed, gaps)
        touched = {step.account_id for step in entry.steps} | {f.account_id for f in fixed}
        ranked.append(
            RankedEntry(
                entry=entry,
                accounts=tuple(sorted(a for a, regions in closed.items() if regions == gaps[a])),
                regions=sum(len(regions) for regions in closed.values()),
                status=min((f.status for f in mine), key=lambda s: s.urgency, default=Status.FAIL),
                severity=min((SEVERITY.get(c, _OTHER) for c in entry.reason_codes), default=_OTHER),
                priority=bool(wanted & (touched | set(closed))),
            )
        )
    ranked.sort(
        key=lambda r: (
            # Integrity fixes come after every lock and recording fix.
            r.entry.kind is EntryKind.INTEGRITY,
            -len(r.accounts),
            -r.regions,
            r.status.urgency,
            r.severity,
            not r.priority,
            -len(r.entry.findings),
            r.entry.acting_account_id or "",
            r.entry.bucket_name,
        )
    )
    return tuple(ranked)


def _closed_gaps(fixed: list[Finding], gaps: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """Per account, the gap regions some trail of ``fixed`` (now passing) would protect."""
    closed: dict[str, set[str]] = {}
    for finding in fixed:
        # An account trail records its own account only; the organization trail every one.
        accounts: Iterable[str] = gaps if finding.is_organization_trail else (finding.account_id,)
        for account in accounts:
            for region in gaps.get(account, ()):
                if protects(finding, account, region):
                    closed.setdefault(account, set()).add(region)
    return closed


def script_order(ranked: Iterable[RankedEntry]) -> tuple[str, ...]:
    """The accounts whose scripts to run, in the order of the first entry that needs each."""
    return tuple(dict.fromkeys(account for r in ranked for account in r.scripts))


#: Scripts the first action names before "and N more".
NAMED_SCRIPTS = 2


@dataclass(frozen=True)
class FirstAction:
    """What to run first, and how many scripts follow: a bounded answer at any scale."""

    first: RankedEntry
    #: The first entry's scripts (``remediation/<account>.sh``), the acting account's first.
    scripts: tuple[str, ...]
    #: Scripts that only later entries need.
    later_scripts: int


def first_action(ranked: tuple[RankedEntry, ...]) -> FirstAction | None:
    """The top-ranked entry's scripts and the count of the others; None with nothing to run."""
    if not ranked:
        return None
    order = script_order(ranked)
    mine = ranked[0].scripts
    return FirstAction(
        first=ranked[0],
        scripts=tuple(f"{REMEDIATION_DIR}/{account}.sh" for account in mine),
        later_scripts=len(order) - len(mine),
    )


def first_action_text(action: FirstAction, where: str) -> str:
    """``remediation/2222.sh first: it fixes bucket logs (LOCK_NOT_CONFIGURED) and makes 11
    accounts protected; then 4 more scripts, <where>.`` — two lines at most at any scale."""
    named = ", ".join(action.scripts[:NAMED_SCRIPTS])
    if len(action.scripts) > NAMED_SCRIPTS:
        named += f" and {plural(len(action.scripts) - NAMED_SCRIPTS, 'more script')}"
    first = action.first
    codes = ", ".join(dict.fromkeys(code.value for code in first.entry.reason_codes))
    if first.accounts:
        impact = f" and makes {plural(len(first.accounts), 'account')} protected"
    elif first.regions:
        impact = f" and protects {plural(first.regions, 'more account region')}"
    else:
        impact = ""
    then = (
        f"; then {plural(action.later_scripts, 'more script')}, {where}"
        if action.later_scripts
        else ""
    )
    what = f"bucket {first.entry.bucket_name} ({codes})"
    if first.entry.kind is EntryKind.RECORDING:
        # A trail change: name the trail and what it lacks, not its (passing) bucket.
        trail = first.entry.findings[0].rsplit("/", 1)[-1] if first.entry.findings else None
        gaps = ", ".join(why.value for why in first.entry.gaps)
        what = f"trail {trail} ({gaps})" if trail else f"the missing organization trail ({gaps})"
    elif first.entry.kind is EntryKind.INTEGRITY and first.entry.check is not None:
        what = f"integrity check {first.entry.check.value} of bucket {first.entry.bucket_name}"
    elif first.entry.kind is EntryKind.RETRO_LOCK:
        what = f"the log files bucket {first.entry.bucket_name} holds from before its lock"
    return f"{named} first: it fixes {what}{impact}{then}."
