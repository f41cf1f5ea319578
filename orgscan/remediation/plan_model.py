"""The remediation plan as plain data: frozen dataclasses shared by the plan, scripts and apply.

A ``Plan`` holds one ``PlanEntry`` per bucket that needs attention. An entry names the account
that must act, the region, the strategy and the ordered ``Step``s; a step is one AWS API call
(service, operation and the exact boto3 parameters) run by one account in one region, plus an
optional ``Check`` that tells whether the step is already done (what makes re-running harmless).

Entries without steps are explanations: ERROR findings ("could not tell" is not "not locked")
and buckets whose owner is unknown.
"""

from __future__ import annotations

import functools
import heapq
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from orgscan.model import GapWhy, IntegrityCode, LockMode, ReasonCode

#: Default retention of the seed's recipe: GOVERNANCE for 90 days.
DEFAULT_MODE = LockMode.GOVERNANCE
DEFAULT_DAYS = 90
#: The longest default retention orgscan will write (100 years); anything above is a typo.
MAX_DAYS = 36500


class Strategy(StrEnum):
    """How a bucket is brought under Object Lock.

    ``enable-in-place``: enable versioning, then ``PutObjectLockConfiguration`` on the existing
    bucket (AWS allows it on existing buckets). ``new-bucket``: create a new locked bucket in the
    same region and point every trail that delivered to the old one at it with ``UpdateTrail``;
    the old bucket is kept.
    """

    ENABLE_IN_PLACE = "enable-in-place"
    NEW_BUCKET = "new-bucket"


class EntryKind(StrEnum):
    """What a plan entry fixes: a trail's bucket (``bucket``), how a trail records
    (``recording``: the account-verdict gaps of §5.1, one entry per trail), or the log files a
    passing bucket received before its lock (``retro-lock``, §5.4: S3 Batch Operations jobs,
    created by ``remediate --apply`` only with ``--retro-lock``), or an integrity check beside
    the lock (``integrity``, §5.2: one entry per resource and check). A new kind of fix is one
    more value here and one builder that returns its entries."""

    BUCKET = "bucket"
    RECORDING = "recording"
    RETRO_LOCK = "retro-lock"
    INTEGRITY = "integrity"


#: The kinds ``remediate --apply`` runs unless told otherwise (retro-lock jobs only on demand).
APPLIED_KINDS = (EntryKind.BUCKET, EntryKind.RECORDING, EntryKind.INTEGRITY)


class Service(StrEnum):
    """AWS services a step may call (the boto3 client name)."""

    S3 = "s3"
    CLOUDTRAIL = "cloudtrail"
    S3CONTROL = "s3control"
    KMS = "kms"


@dataclass(frozen=True)
class RemediationSettings:
    """What the user chose for remediation; ``resolve_retention`` turns it into a ``Retention``.

    ``strategy`` applies to buckets that are not locked at all (retention-only fixes are always
    done in place, and a missing bucket always gets a new one). ``mode`` and ``days`` default to
    the seed's GOVERNANCE and 90 days, raised to what the run's policy demands; an explicit value
    that the policy would reject is an input error. ``priority_accounts`` names the accounts
    (OU paths, or id and name patterns) whose buckets come first among equals when the plan is
    ranked (``orgscan.remediation.ranking``).
    """

    strategy: Strategy = Strategy.ENABLE_IN_PLACE
    mode: LockMode | None = None
    days: int | None = None
    priority_accounts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Retention:
    """A default retention rule: ``mode`` for ``days`` days."""

    mode: LockMode
    days: int


@dataclass(frozen=True)
class Check:
    """A read-only call that tells whether a step is already done.

    The step is skipped when the call succeeds and, if ``condition`` is set, the JMESPath
    expression ``condition`` evaluated on the response is true. A call failing with one of
    ``absent_codes`` ("no such configuration") means "not done"; one of ``done_codes`` means
    "done", nothing is left to change (a bucket with no policy has no public statement to take
    out); any other failure (AccessDenied, a bucket of another owner) means the current state
    cannot be read, and the step must not run. The same expression serves boto3
    (``jmespath.search``) and the AWS CLI (``--query``).
    """

    operation: str
    parameters: Mapping[str, Any]
    condition: str | None = None
    absent_codes: tuple[str, ...] = ()
    done_codes: tuple[str, ...] = ()


class GuardKind(StrEnum):
    """What a guard reads before a step that could do harm (a closed set: plan.json names one,
    orgscan and the script template implement each)."""

    #: The JMESPath ``condition`` holds on the response of ``operation``.
    QUERY = "query"
    #: The bucket replicates (an enabled rule) to a destination without Object Lock, or one
    #: whose Object Lock state cannot be read.
    REPLICATION_UNLOCKED = "replication-to-unlocked-destination"
    #: The bucket already has a policy (``condition`` true) that the step would replace. A
    #: script stops; ``orgscan remediate --apply`` merges by ``Sid`` instead.
    FOREIGN_POLICY = "policy-not-written-by-orgscan"
    #: The trail records data events too (``condition`` true): putting the planned management
    #: selector alone would drop them. A script stops; ``orgscan remediate --apply`` keeps them.
    OTHER_SELECTORS = "selectors-beyond-management-events"


@dataclass(frozen=True)
class Guard:
    """A read-only call run just before a step: when it finds what ``reason`` describes, the
    step stops (under ``--apply``) or is reported (in a dry run) instead of doing harm.

    ``QUERY`` guards call ``operation`` with ``parameters`` and stop when the JMESPath
    ``condition`` is true; ``absent_codes`` are the error codes that mean "nothing there" (the
    guard passes); any other error means the state cannot be read, which also stops.
    """

    kind: GuardKind
    operation: str
    parameters: Mapping[str, Any]
    reason: str
    condition: str | None = None
    absent_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    """One AWS API call of the plan.

    ``operation`` is the API operation name (``PutObjectLockConfiguration``) and ``parameters``
    its boto3 keyword arguments; the AWS CLI form is derived from them. ``account_id`` runs the
    step in ``region``. ``fixes`` lists the trail ARNs whose findings the step helps resolve.
    ``parameters`` is plain JSON data and must be treated as read-only. ``guards`` run (in
    order) after the check says "not done" and before the call. ``minimum_days`` belongs to
    ``PutBucketLifecycleConfiguration`` alone: its ``LifecycleConfiguration`` is the bucket's
    live one, read and merged at apply time, with every expiration of the log files shorter
    than ``minimum_days`` raised to it (``lifecycle``).
    """

    account_id: str
    region: str
    service: Service
    operation: str
    parameters: Mapping[str, Any]
    description: str
    fixes: tuple[str, ...]
    check: Check | None = None
    guards: tuple[Guard, ...] = ()
    minimum_days: int | None = None


@dataclass(frozen=True)
class PlanEntry:
    """Everything to do (or to know) about one bucket, or (``kind`` ``recording``) one trail.

    ``acting_account_id`` is the bucket's owner (for a missing bucket: the trail's owner, who
    creates the replacement), or None when nobody can act (owner unknown, ERROR findings).
    ``steps`` are in execution order; for ``new-bucket`` the ``UpdateTrail`` steps come last and
    may belong to other accounts (the trails' owners), which must run them after the bucket
    account's steps. ``findings`` are the trail ARNs the entry covers and ``reason_codes`` their
    reason codes (same order). ``explanation`` says in one or two sentences what the entry does
    or, without steps, why there are none and what to check. ``warnings`` are consequences the
    operator must accept (COMPLIANCE mode cannot be undone, Object Lock cannot be turned off).
    """

    bucket_name: str
    bucket_account_id: str | None
    acting_account_id: str | None
    region: str | None
    strategy: Strategy | None
    findings: tuple[str, ...]
    reason_codes: tuple[ReasonCode, ...]
    retention: Retention | None
    new_bucket_name: str | None
    steps: tuple[Step, ...]
    explanation: str
    warnings: tuple[str, ...] = ()
    #: ``recording`` entries fix one trail (``findings[0]``; none when a trail must be
    #: created) for the gaps named in ``gaps``, of the accounts in ``accounts``.
    kind: EntryKind = EntryKind.BUCKET
    gaps: tuple[GapWhy, ...] = ()
    accounts: tuple[str, ...] = ()
    #: ``integrity`` entries: the check they turn to PASS.
    check: IntegrityCode | None = None

    @property
    def actionable(self) -> bool:
        """True when the entry has steps to run."""
        return bool(self.steps)


@dataclass(frozen=True)
class Plan:
    """The remediation plan of one run (``remediation/plan.json``).

    ``run_started_at`` ties the plan to the run's ``findings.json``; ``settings`` and
    ``retention`` record the choices the plan was built with. ``account_names`` maps the
    account ids of the run to their Organizations names (free text, possibly None).
    """

    run_started_at: str
    organization_id: str | None
    settings: RemediationSettings
    retention: Retention
    entries: tuple[PlanEntry, ...] = ()
    account_names: Mapping[str, str | None] = field(default_factory=dict)

    def accounts_with_steps(self) -> list[str]:
        """The accounts that must change something, sorted."""
        return sorted({step.account_id for entry in self.entries for step in entry.steps})

    def steps_for(self, account_id: str) -> list[tuple[PlanEntry, Step]]:
        """The steps ``account_id`` runs, in plan order, each with its entry."""
        return list(self._steps_by_account.get(account_id, ()))

    @functools.cached_property
    def _steps_by_account(self) -> dict[str, list[tuple[PlanEntry, Step]]]:
        # Built once: one script per account would otherwise walk every entry each time.
        found: dict[str, list[tuple[PlanEntry, Step]]] = {}
        for entry in self.entries:
            for step in entry.steps:
                found.setdefault(step.account_id, []).append((entry, step))
        return found

    def advice_for(self, account_id: str) -> list[PlanEntry]:
        """The recording and integrity entries of ``account_id`` without steps, in plan order:
        they only say what to read, and its script shows their commands as comments."""
        return list(self._advice_by_account.get(account_id, ()))

    @functools.cached_property
    def _advice_by_account(self) -> dict[str, list[PlanEntry]]:
        # Built once, like the steps: each script looked through every entry of the plan.
        found: dict[str, list[PlanEntry]] = {}
        for entry in self.entries:
            if (
                not entry.steps
                and entry.kind in (EntryKind.RECORDING, EntryKind.INTEGRITY)
                and entry.acting_account_id is not None
            ):
                found.setdefault(entry.acting_account_id, []).append(entry)
        return found

    def account_order(self) -> list[str]:
        """The accounts with steps in an order that respects every cross-account dependency.

        In an entry, the acting account (the bucket's) must finish before the other accounts
        with steps there (the trails' owners) run theirs; ties keep id order.
        """
        accounts = self.accounts_with_steps()
        needs: dict[str, set[str]] = {account: set() for account in accounts}
        for entry in self.entries:
            for step in entry.steps:
                if entry.acting_account_id and step.account_id != entry.acting_account_id:
                    needs[step.account_id].add(entry.acting_account_id)
        # Each account's needs not yet placed, and who waits on whom: each account is placed
        # once (9,835 accounts at 10,000 were each compared with all the others, again and
        # again). An acting account without steps of its own is never placed: an account
        # waiting on it goes only when nothing else can.
        unmet = {account: len(need) for account, need in needs.items()}
        waiting_on: dict[str, list[str]] = {}
        for account, need in needs.items():
            for needed in need:
                waiting_on.setdefault(needed, []).append(account)
        position = {account: index for index, account in enumerate(accounts)}
        ready = [position[account] for account in accounts if not unmet[account]]
        heapq.heapify(ready)
        placed: set[str] = set()
        ordered: list[str] = []
        lowest = 0  # no account before it is unplaced
        while len(ordered) < len(accounts):
            if ready:
                account = accounts[heapq.heappop(ready)]
                if account in placed:
                    continue
            else:
                # A cycle (A's bucket used by B's trail and B's by A's) cannot be ordered
                # strictly; take the lowest id so every account is still listed once.
                while accounts[lowest] in placed:
                    lowest += 1
                account = accounts[lowest]
            placed.add(account)
            ordered.append(account)
            for waiting in waiting_on.get(account, ()):
                unmet[waiting] -= 1
                if not unmet[waiting] and waiting not in placed:
                    heapq.heappush(ready, position[waiting])
        return ordered
