"""The scan: one fan-out over accounts, regions and buckets (planning is in ``planning``).

Work units run on an executor and return values (errors included); only the coordinator (the
calling thread) changes state, so no locks are needed around it. As soon as an account's role
is assumed its regions are scanned and its buckets listed; as soon as a trail's bucket has a
known owner it is read, once, with the owner's credentials. Nothing waits for a whole phase
unless it must: buckets that no scanned account owns are looked for in the other accounts of
the organization (read-only) only after every scanned account has listed its own.
"""

from __future__ import annotations

import logging
import queue
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from orgscan import __version__
from orgscan.aws.organization import (
    UNKNOWN_STATE,
)
from orgscan.aws.regions import REGION_DISABLED_CODES, enabled_regions
from orgscan.aws.sessions import AssumeRoleError, SessionFactory
from orgscan.collect import error_code_of
from orgscan.collect.buckets import list_owned_buckets, read_bucket
from orgscan.collect.trails import describe_trails
from orgscan.config import ScanSettings
from orgscan.executors import make_executor, shutdown
from orgscan.model import (
    Account,
    AccountCoverage,
    BucketFacts,
    ErrorStage,
    Finding,
    RunInfo,
    ScanError,
    ScanResult,
    Trail,
)
from orgscan.planning import ScanPlan, iso, plan_scan, utc_now
from orgscan.progress import ProgressListener, ScanStory
from orgscan.rule import ACCESS_DENIED_CODES, MISSING_BUCKET_CODES, evaluate

log = logging.getLogger(__name__)

Progress = ProgressListener
INTERRUPTED = "Interrupted"
# Units waiting for a worker start in this order. A bucket read goes before the trail listings
# still queued: otherwise every read waits behind thousands of them and the scan ends with a
# tail of reads one after the other.
_PREPARE, _READ, _LISTING, _TRAILS = range(4)
# Names that suggest a central log archive: those accounts are searched first for a bucket.
_ARCHIVE_HINTS = ("log", "archive", "audit", "security")


def scan_organization(settings: ScanSettings, sessions: SessionFactory,
                      executor: Executor | None = None,
                      progress: Progress | None = None) -> ScanResult:
    """Plan and run a whole scan; the convenience entry point for tests and the demo."""
    own_executor = executor is None
    pool = executor or make_executor(settings.workers, settings.serial)
    try:
        plan = plan_scan(settings, sessions, pool)
        return execute_scan(plan, sessions, pool, progress)
    finally:
        if own_executor:
            shutdown(pool, interrupted=False)


def execute_scan(plan: ScanPlan, sessions: SessionFactory, executor: Executor,
                 progress: Progress | None = None,
                 clock: Callable[[], datetime] = utc_now) -> ScanResult:
    """Scan every account of the plan. Ctrl-C returns what was gathered, marked incomplete."""
    started = clock()
    coordinator = _Coordinator(plan, sessions, executor, progress)
    coordinator.run()
    return coordinator.result(started=started, finished=clock())


# ---------------------------------------------------------------------- work units (threads)


@dataclass(frozen=True)
class _Prepared:
    regions: list[str] | None = None
    regions_error: tuple[str, str] | None = None
    assume_error: tuple[str, str] | None = None


@dataclass(frozen=True)
class _TrailsRead:
    trails: list[Trail]
    malformed: int = 0
    error: tuple[str, str] | None = None


@dataclass(frozen=True)
class _BucketsListed:
    owned: dict[str, str | None]
    error: tuple[str, str] | None = None


class _Coordinator:
    """Submits work, folds results into the scan's state, decides what comes next."""

    def __init__(self, plan: ScanPlan, sessions: SessionFactory, executor: Executor,
                 progress: Progress | None) -> None:
        self.plan = plan
        self.settings = plan.settings
        self.sessions = sessions
        self.executor = executor
        self.home_region = sessions.default_region
        self.pending: dict[Future[Any], Callable[[Any], None]] = {}
        self.finished: queue.SimpleQueue[Future[Any]] = queue.SimpleQueue()
        # Units not yet given to the executor, by priority; a few more than the workers run at
        # once, so that a new urgent unit waits behind few others (and few futures exist).
        self.backlog: tuple[deque[tuple[Callable[..., Any], Callable[[Any], None],
                                        tuple[Any, ...]]], ...] = tuple(deque() for _ in range(4))
        self.in_flight_limit = 8 * max(1, plan.settings.workers)
        self.submitted = 0
        self.completed = 0
        self.interrupted = False
        accounts = plan.organization.accounts
        # An account whose state Organizations did not say is tried, not silently skipped:
        # either it is scanned or its failure shows in the coverage.
        self.scannable = [a.account_id for a in accounts if a.account_id in plan.in_scope
                          and a.state in ("ACTIVE", UNKNOWN_STATE)]
        self.prepared: set[str] = set()
        self.account_error: dict[str, str] = {}
        self.planned_regions: dict[str, list[str]] = {}
        self.regions_ok: Counter[str] = Counter()
        self.region_failed: set[tuple[str, str]] = set()
        self.trails: dict[str, Trail] = {}
        self.trails_by_bucket: dict[str, list[Trail]] = {}
        self.errors: list[ScanError] = []
        # Bucket ownership: name -> (owner account, region if ListBuckets told it).
        self.owner_of: dict[str, tuple[str, str | None]] = {}
        self.story = ScanStory(self.scannable, progress,
                               caller_account_id=plan.identity.account_id)
        self.other_accounts = self._search_order(
            [a for a in accounts if a.account_id not in plan.in_scope and a.state == "ACTIVE"])
        self.bucket_facts: dict[str, BucketFacts] = {}
        self.bucket_submitted: set[str] = set()
        self.probed: set[str] = set()  # unowned buckets read before the search for an owner
        self.probing: set[str] = set()  # those whose read is still out
        # Until all three are 0 a bucket nobody has listed yet may still turn out to be owned.
        self.unprepared = len(self.scannable)
        self.own_listings = 0  # bucket listings of scanned accounts not finished
        self.searching = 0  # bucket listings of other accounts not finished

    # -------------------------------------------------------------- the loop

    def run(self) -> None:
        try:
            for account_id in self.scannable:
                self._submit(_PREPARE, self._prepare, self._on_prepared_for(account_id),
                             account_id)
            while self.pending or self._next_steps():
                for future in self._finished():
                    handler = self.pending.pop(future)
                    self.completed += 1
                    handler(future.result())
                self._fill()
                self.story.tick()
        except KeyboardInterrupt:
            self.interrupted = True
            log.warning("interrupted: writing what was gathered, marked incomplete")
            for future in self.pending:
                future.cancel()
            self.pending.clear()
            for backlog in self.backlog:
                backlog.clear()

    def _finished(self) -> list[Future[Any]]:
        """Wait for a unit to finish; return it with every other one finished meanwhile."""
        # Finished futures arrive on a queue: concurrent.futures.wait() would visit every
        # pending future on each call, O(pending) per result, seconds of CPU for a large scan.
        finished = [self.finished.get()]
        while True:
            try:
                finished.append(self.finished.get_nowait())
            except queue.Empty:
                return finished

    def _submit(self, priority: int, work: Callable[..., Any], handler: Callable[[Any], None],
                *args: Any) -> None:
        self.backlog[priority].append((work, handler, args))
        self.submitted += 1
        self._fill()

    def _fill(self) -> None:
        """Hand queued units to the executor, most urgent first, while few enough run."""
        for backlog in self.backlog:
            while backlog and len(self.pending) < self.in_flight_limit:
                work, handler, args = backlog.popleft()
                future = self.executor.submit(self._guarded, work, *args)
                self.pending[future] = handler
                future.add_done_callback(self.finished.put)

    @staticmethod
    def _guarded(work: Callable[..., Any], *args: Any) -> Any:
        # A bug or an unexpected response in one unit must not stop the scan: it becomes an
        # error value for that unit, with the traceback in the log.
        try:
            return work(*args)
        except (ClientError, BotoCoreError) as exc:
            return error_code_of(exc)
        except Exception as exc:
            log.exception("unexpected failure in %s%r", work.__name__, args)
            return (type(exc).__name__, str(exc) or type(exc).__name__)

    def _next_steps(self) -> bool:
        """Called when nothing is pending: submit what could not start earlier."""
        if self.interrupted:
            return False
        if self._unowned_buckets() and self.other_accounts:
            self._look_for_owners()  # every listing is in: probe, then search the next batch
        if not self.pending:  # nowhere left to look: read with the trails' accounts
            for bucket in self._unowned_buckets():
                self._submit_read(bucket)
        return bool(self.pending)

    def _look_for_owners(self) -> None:
        """Search the other accounts for the owners of buckets no scanned account owns as soon
        as every scanned account has listed its own, not only once all other work is done.
        Reading an ownerless bucket still waits for the end: until then more trails may name
        it, and its read uses the accounts of all its trails."""
        if not self.other_accounts or self.unprepared or self.own_listings or self.interrupted:
            return
        unowned = self._unowned_buckets()
        # A bucket whose probe is out may yet turn out to be gone: no batch for it alone.
        needs_owner = [bucket for bucket in unowned if bucket not in self.probing]
        self._probe(unowned)
        if needs_owner and not self.searching:
            self._search_batch()

    def _probe(self, unowned: list[str]) -> None:
        # A bucket may simply be gone: reading it with its trails' credentials says so at
        # once, instead of after a search of every other account for its owner.
        for bucket in unowned:
            if bucket not in self.probed:
                self._submit_probe(bucket)

    def _search_batch(self) -> None:
        """Look in the organization's other accounts, likely log archives first, in batches."""
        batch = self.other_accounts[: max(1, self.settings.workers)]
        del self.other_accounts[: len(batch)]
        self.searching += len(batch)
        for account_id in batch:
            self._submit(_LISTING, self._list_buckets, self._on_listed_other(account_id),
                         account_id)

    # -------------------------------------------------------------- accounts

    def _prepare(self, account_id: str) -> _Prepared:
        self.story.started(account_id)
        if account_id != self.sessions.caller_account_id:
            try:
                self.sessions.credentials_for(account_id)
            except AssumeRoleError as exc:
                return _Prepared(assume_error=(exc.error_code, exc.message))
        ec2 = self.sessions.client(account_id, "ec2", self.home_region)
        try:
            regions = enabled_regions(ec2, self.plan.partition_regions)
        except (ClientError, BotoCoreError) as exc:
            return _Prepared(regions_error=error_code_of(exc))
        if not regions:  # every account has regions that cannot be disabled: a malformed reply
            return _Prepared(regions_error=("MalformedResponse",
                                            "DescribeRegions listed no enabled region"))
        return _Prepared(regions=regions)

    def _record(self, account_id: str, region: str | None, stage: ErrorStage,
                error: tuple[str, str]) -> None:
        code, message = error
        self.errors.append(ScanError(account_id, region, stage, code, message[:500]))
        log.warning("%s %s %s: %s: %s", account_id, region or "-", stage.value, code, message)

    def _on_prepared_for(self, account_id: str) -> Callable[[Any], None]:
        def handle(outcome: _Prepared | tuple[str, str]) -> None:
            self.unprepared -= 1
            if isinstance(outcome, tuple):  # an unexpected failure, as (code, message)
                outcome = _Prepared(regions_error=outcome)
            if outcome.assume_error is not None:
                self.account_error[account_id] = outcome.assume_error[0]
                self._record(account_id, None, ErrorStage.ASSUME_ROLE, outcome.assume_error)
                self.story.prepared(account_id, regions=None, assume_error=outcome.assume_error[0])
                self._look_for_owners()
                return
            self.prepared.add(account_id)
            regions = self._regions_to_scan(account_id, outcome)
            self.planned_regions[account_id] = regions
            self.story.prepared(account_id, regions=len(regions))
            # A bucket is read as soon as both a trail and the bucket's owner are known.
            self.own_listings += 1
            self._submit(_LISTING, self._list_buckets, self._on_listed_for(account_id),
                         account_id)
            for region in regions:
                self._submit(_TRAILS, self._read_trails, self._on_trails_for(account_id, region),
                             account_id, region)

        return handle

    def _regions_to_scan(self, account_id: str, outcome: _Prepared) -> list[str]:
        requested = list(self.settings.regions)
        if outcome.regions is None:
            # DescribeRegions failed: scan what was asked for, or every region of the
            # partition; regions that are not enabled then fail visibly, one row each.
            self._record(account_id, None, ErrorStage.REGIONS,
                         outcome.regions_error or ("Unknown", "DescribeRegions failed"))
            return requested or list(self.plan.partition_regions)
        if not requested:
            return outcome.regions
        enabled = set(outcome.regions)
        for region in requested:
            if region not in enabled:
                self.region_failed.add((account_id, region))
                self._record(account_id, region, ErrorStage.REGIONS,
                             ("RegionNotEnabled", f"{region} is not enabled for the account"))
        return [region for region in requested if region in enabled]

    # -------------------------------------------------------------- trails

    def _read_trails(self, account_id: str, region: str) -> _TrailsRead:
        client = self.sessions.client(account_id, "cloudtrail", region)
        try:
            trails, malformed = describe_trails(client, region)
        except (ClientError, BotoCoreError) as exc:
            return _TrailsRead(trails=[], error=error_code_of(exc))
        return _TrailsRead(trails=trails, malformed=len(malformed))

    def _on_trails_for(self, account_id: str, region: str) -> Callable[[Any], None]:
        def handle(outcome: _TrailsRead | tuple[str, str]) -> None:
            if isinstance(outcome, tuple):
                outcome = _TrailsRead(trails=[], error=outcome)
            if outcome.error is not None:
                stage = (ErrorStage.REGIONS if outcome.error[0] in REGION_DISABLED_CODES
                         else ErrorStage.TRAILS)
                self.region_failed.add((account_id, region))
                self._record(account_id, region, stage, outcome.error)
                self.story.region_read(account_id, trails=0, failed=True)
                return
            if outcome.malformed:
                # Trails that cannot be judged leave the region's evidence incomplete.
                self.region_failed.add((account_id, region))
                self._record(account_id, region, ErrorStage.TRAILS,
                             ("MalformedResponse", f"{outcome.malformed} trail entries without "
                              "TrailARN or S3BucketName were skipped"))
            else:
                self.regions_ok[account_id] += 1
            known = len(self.trails)
            for trail in outcome.trails:
                if trail.trail_arn not in self.trails:
                    self.trails[trail.trail_arn] = trail
                    self.trails_by_bucket.setdefault(trail.bucket_name, []).append(trail)
                    if trail.bucket_name in self.owner_of:
                        self._submit_read(trail.bucket_name)
                    else:
                        self._look_for_owners()
            self.story.region_read(account_id, trails=len(self.trails) - known,
                                   failed=bool(outcome.malformed))

        return handle

    # -------------------------------------------------------------- bucket ownership

    def _list_buckets(self, account_id: str) -> _BucketsListed:
        try:
            client = self.sessions.client(account_id, "s3", self.home_region)
            return _BucketsListed(owned=list_owned_buckets(client))
        except AssumeRoleError as exc:
            return _BucketsListed(owned={}, error=(exc.error_code, exc.message))
        except (ClientError, BotoCoreError) as exc:
            return _BucketsListed(owned={}, error=error_code_of(exc))

    def _take_listing(self, account_id: str, outcome: _BucketsListed | tuple[str, str]) -> None:
        if isinstance(outcome, tuple):
            outcome = _BucketsListed(owned={}, error=outcome)
        for bucket, region in outcome.owned.items():
            self.owner_of.setdefault(bucket, (account_id, region))
            if bucket in self.trails_by_bucket:
                self._submit_read(bucket)

    def _on_listed_for(self, account_id: str) -> Callable[[Any], None]:
        def handle(outcome: _BucketsListed | tuple[str, str]) -> None:
            self.own_listings -= 1
            self._take_listing(account_id, outcome)
            error = outcome if isinstance(outcome, tuple) else outcome.error
            if error is not None:
                # Not a coverage gap: its buckets are then read with the trail owner's
                # credentials, and an unreadable one becomes an ERROR finding.
                self._record(account_id, None, ErrorStage.BUCKET, error)
            self._look_for_owners()

        return handle

    def _on_listed_other(self, account_id: str) -> Callable[[Any], None]:
        def handle(outcome: _BucketsListed | tuple[str, str]) -> None:
            self.searching -= 1
            self._take_listing(account_id, outcome)
            error = outcome if isinstance(outcome, tuple) else outcome.error
            if error is not None:  # outside the scope: worth a log line, not a coverage row
                log.info("%s (not in scope): cannot list buckets: %s", account_id, error[0])
            self._look_for_owners()

        return handle

    def _search_order(self, accounts: list[Account]) -> list[str]:
        def likely_archive_first(account: Account) -> tuple[bool, str]:
            name = (account.name or "").lower()
            return (not any(hint in name for hint in _ARCHIVE_HINTS), account.account_id)

        return [account.account_id for account in sorted(accounts, key=likely_archive_first)]

    def _unowned_buckets(self) -> list[str]:
        return sorted(bucket for bucket in self.trails_by_bucket
                      if bucket not in self.owner_of and bucket not in self.bucket_submitted)

    # -------------------------------------------------------------- bucket reads

    def _submit_read(self, bucket: str) -> None:
        if bucket in self.bucket_submitted:
            return
        self.bucket_submitted.add(bucket)
        self._submit(_READ, self._read_bucket, self._on_bucket_for(bucket),
                     *self._read_args(bucket))

    def _read_args(self, bucket: str) -> tuple[str, str | None, str | None, str, list[str]]:
        trails = sorted(self.trails_by_bucket.get(bucket, []), key=lambda t: t.trail_arn)
        owner, region = self.owner_of.get(bucket, (None, None))
        # The owner's credentials first; without an owner in the organization, the accounts
        # whose trails deliver there (the bucket may be readable to them, or be gone).
        candidates = list(dict.fromkeys(
            ([owner] if owner else []) + [trail.account_id for trail in trails]))[:3]
        lookup_region = trails[0].home_region if trails else self.home_region
        return bucket, owner, region, lookup_region, candidates

    def _submit_probe(self, bucket: str) -> None:
        """Read a bucket no scanned account owns, as it would be read if no owner were found."""
        self.probed.add(bucket)
        self.probing.add(bucket)
        self._submit(_READ, self._read_bucket, self._on_probed_for(bucket),
                     *self._read_args(bucket))

    def _on_probed_for(self, bucket: str) -> Callable[[Any], None]:
        def handle(outcome: BucketFacts | tuple[str, str]) -> None:
            # Only "gone" is final: a bucket that exists may belong to an account of the
            # organization not searched yet, and is then read with that owner's credentials.
            self.probing.discard(bucket)
            if (isinstance(outcome, BucketFacts) and outcome.error_code in MISSING_BUCKET_CODES
                    and bucket not in self.owner_of and bucket not in self.bucket_submitted):
                self.bucket_submitted.add(bucket)
                self._on_bucket_for(bucket)(outcome)
            else:
                self._look_for_owners()  # it exists: its owner is still to be found

        return handle

    def _read_bucket(self, bucket: str, owner: str | None, region: str | None,
                     lookup_region: str, candidates: list[str]) -> BucketFacts:
        facts: BucketFacts | None = None
        for account_id in candidates:
            try:
                if account_id != self.sessions.caller_account_id:
                    self.sessions.credentials_for(account_id)
            except AssumeRoleError as exc:
                facts = BucketFacts(bucket, owner, region, None, None, None, None,
                                    "AccessDenied", f"cannot assume role in {account_id}: "
                                    f"{exc.error_code}")
                continue

            def client_for(client_region: str, acting: str = account_id) -> Any:
                return self.sessions.client(acting, "s3", client_region)

            facts = read_bucket(client_for, bucket, owner, region, lookup_region)
            if facts.error_code not in ACCESS_DENIED_CODES:
                return facts
        return facts or BucketFacts(bucket, owner, region, None, None, None, None,
                                    "AccessDenied", "no account of the scan can read it")

    def _on_bucket_for(self, bucket: str) -> Callable[[Any], None]:
        def handle(outcome: BucketFacts | tuple[str, str]) -> None:
            if isinstance(outcome, tuple):
                owner, region = self.owner_of.get(bucket, (None, None))
                outcome = BucketFacts(bucket, owner, region, None, None, None, None, *outcome)
            self.bucket_facts[bucket] = outcome
            self.story.bucket_read(bucket, outcome.bucket_account_id,
                                   outcome.error_code or "read")
            account = outcome.bucket_account_id or self._first_trail_owner(bucket)
            if outcome.error_code is not None:
                if outcome.error_code not in MISSING_BUCKET_CODES:  # a missing bucket is a FAIL
                    self._record(account, outcome.bucket_region, ErrorStage.BUCKET,
                                 (outcome.error_code, f"{bucket}: {outcome.error_message or ''}"))
            elif outcome.versioning_error_code is not None:  # the lock was read; versioning not
                self._record(account, outcome.bucket_region, ErrorStage.BUCKET,
                             (outcome.versioning_error_code,
                              f"{bucket}: versioning: {outcome.error_message or ''}"))

        return handle

    def _first_trail_owner(self, bucket: str) -> str:
        trails = self.trails_by_bucket.get(bucket, [])
        return min(trail.account_id for trail in trails) if trails else ""

    # -------------------------------------------------------------- the result

    def result(self, *, started: datetime, finished: datetime) -> ScanResult:
        """Findings, coverage and errors, in a stable order."""
        if self.interrupted:
            self._record_interruptions()
        findings = [self._finding(trail) for trail in self.trails.values()]
        findings.sort(key=lambda f: (f.account_id, f.home_region, f.trail_name, f.trail_arn))
        accounts = [self._coverage(account) for account in self.plan.organization.accounts]
        complete = not self.interrupted and not self.account_error and not self.region_failed \
            and all(account_id in self.prepared for account_id in self.scannable) \
            and not any(e.stage is ErrorStage.REGIONS and e.region is None for e in self.errors)
        regions = sorted(set(self.settings.regions) or
                         {r for regions in self.planned_regions.values() for r in regions})
        run = RunInfo(
            started_at=iso(started), finished_at=iso(finished), tool_version=__version__,
            caller_arn=self.plan.identity.arn,
            organization_id=self.plan.organization.organization_id,
            policy=self.settings.policy, regions=tuple(regions), complete=complete,
        )
        errors = sorted(self.errors, key=lambda e: (e.account_id, e.region or "", e.stage.value,
                                                    e.error_code))
        return ScanResult(run=run, accounts=tuple(accounts), findings=tuple(findings),
                          errors=tuple(errors))

    def _record_interruptions(self) -> None:
        stop = (INTERRUPTED, "the scan was interrupted before this was read")
        for account_id in self.scannable:
            if account_id in self.account_error:
                continue
            if account_id not in self.prepared:
                self.account_error[account_id] = INTERRUPTED
                self._record(account_id, None, ErrorStage.ASSUME_ROLE, stop)
                continue
            planned = self.planned_regions.get(account_id, [])
            failed = sum(1 for region in planned if (account_id, region) in self.region_failed)
            missing = len(planned) - failed - self.regions_ok[account_id]
            if missing > 0:
                self._record(account_id, None, ErrorStage.TRAILS,
                             (INTERRUPTED, f"{missing} region(s) not scanned"))

    def _finding(self, trail: Trail) -> Finding:
        facts = self.bucket_facts.get(trail.bucket_name)
        if facts is None:  # only after an interruption
            owner, region = self.owner_of.get(trail.bucket_name, (None, None))
            facts = BucketFacts(trail.bucket_name, owner, region, None, None, None, None,
                                INTERRUPTED, "the scan was interrupted before the bucket was read")
        verdict = evaluate(facts, self.settings.policy)
        return Finding(
            account_id=trail.account_id, trail_name=trail.trail_name, trail_arn=trail.trail_arn,
            home_region=trail.home_region, is_organization_trail=trail.is_organization_trail,
            is_multi_region=trail.is_multi_region, bucket_name=trail.bucket_name,
            bucket_account_id=facts.bucket_account_id, bucket_region=facts.bucket_region,
            object_lock_enabled=facts.object_lock_enabled, lock_mode=facts.lock_mode,
            retention_days=facts.retention_days, versioning=facts.versioning,
            status=verdict.status, reason_code=verdict.reason_code, reason=verdict.reason,
        )

    def _coverage(self, account: Account) -> AccountCoverage:
        scanned = account.account_id in self.prepared
        return AccountCoverage(
            account_id=account.account_id, name=account.name, ou_path=account.ou_path,
            state=account.state, scanned=scanned,
            regions_scanned=self.regions_ok[account.account_id],
            error_code=self.account_error.get(account.account_id),
        )
