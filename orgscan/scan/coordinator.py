"""The scan's coordinator: one fan-out over accounts, regions and buckets.

Work units run on an executor and return values (errors included); only the coordinator (the
calling thread) changes state, so no locks are needed around it. As soon as an account's role
is assumed its regions are scanned and its buckets listed; as soon as a trail's bucket has a
known owner it is read, once, with the owner's credentials. Nothing waits for a whole phase
unless it must: buckets that no scanned account owns are looked for in the other accounts of
the organization (read-only) only after every scanned account has listed its own.

The pieces: ``planning`` (what to scan), ``workqueue`` (priorities, in-flight cap), ``units``
(the AWS calls, as plain functions), ``ledger`` (what was learned, and the ``ScanResult``),
``owners`` (the search for buckets' owners). This module only routes outcomes between them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import replace
from datetime import datetime
from typing import Any

from orgscan.aws.sessions import SessionFactory
from orgscan.collect.trails import TrailHealth
from orgscan.config import ScanSettings
from orgscan.error_codes import MISSING_BUCKET_CODES
from orgscan.facts import AwsError, BucketFacts, Trail
from orgscan.model import AccountState, ErrorStage, ScanResult
from orgscan.scan.executors import make_executor, shutdown
from orgscan.scan.integrity_reads import (
    IntegrityLedger,
    key_readers,
    read_block_unit,
    read_key_unit,
)
from orgscan.scan.ledger import Ledger
from orgscan.scan.owners import OwnerSearch
from orgscan.scan.planning import ScanPlan, plan_scan, utc_now
from orgscan.scan.progress import ProgressListener, ScanStory
from orgscan.scan.units import (
    BucketsListed,
    Prepared,
    TrailsRead,
    list_buckets,
    prepare_account,
    read_bucket,
    read_health,
    read_trails,
    run_unit,
)
from orgscan.scan.workqueue import Handler, Priority, Unit, WorkQueue

log = logging.getLogger(__name__)


def scan_organization(
    settings: ScanSettings,
    sessions: SessionFactory,
    executor: Executor | None = None,
    progress: ProgressListener | None = None,
) -> ScanResult:
    """Plan and run a whole scan; the convenience entry point for tests and the demo."""
    own_executor = executor is None
    pool = executor or make_executor(settings.workers, settings.serial)
    try:
        plan = plan_scan(settings, sessions, pool)
        return execute_scan(plan, sessions, pool, progress)
    finally:
        if own_executor:
            shutdown(pool, interrupted=False)


def execute_scan(
    plan: ScanPlan,
    sessions: SessionFactory,
    executor: Executor,
    progress: ProgressListener | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> ScanResult:
    """Scan every account of the plan. Ctrl-C returns what was gathered, marked incomplete."""
    started = clock()
    coordinator = _Coordinator(plan, sessions, executor, progress)
    coordinator.run()
    return coordinator.ledger.result(
        scannable=coordinator.scannable,
        interrupted=coordinator.interrupted,
        started=started,
        finished=clock(),
        integrity=coordinator.integrity.reads(),
    )


def scannable_accounts(plan: ScanPlan) -> list[str]:
    """The accounts the scan reads: in scope, and active or of unknown state.

    An account whose state Organizations did not say is tried, not silently skipped: either it
    is scanned or its failure shows in the coverage.
    """
    return [
        a.account_id
        for a in plan.organization.accounts
        if a.account_id in plan.in_scope and a.state in (AccountState.ACTIVE, AccountState.UNKNOWN)
    ]


class _Coordinator:
    """Submits work, hands each outcome to the ledger, decides what comes next."""

    def __init__(
        self,
        plan: ScanPlan,
        sessions: SessionFactory,
        executor: Executor,
        progress: ProgressListener | None,
    ) -> None:
        self.plan = plan
        self.sessions = sessions
        self.work = WorkQueue(executor, 8 * max(1, plan.settings.workers), runner=run_unit)
        self.ledger = Ledger(plan)
        self.integrity = IntegrityLedger()
        self.scannable = scannable_accounts(plan)
        self.story = ScanStory(self.scannable, progress, caller_account_id=plan.identity.account_id)
        self.owners = OwnerSearch(plan, scannable=len(self.scannable))
        self.read_requested: set[str] = set()
        self.interrupted = False
        # When the caller is the management account and leaves itself out of the scope, its
        # organization trails are read in each region a member is scanned in: they record
        # every member, even where a member's own view lacks them (contract v3).
        management = plan.organization.management_account_id
        self.own_org_trails = (
            management
            if management == plan.identity.account_id and management not in self.scannable
            else None
        )
        self.org_regions_read: set[str] = set()

    def run(self) -> None:
        """Run until no work is left, or Ctrl-C."""
        try:
            for account_id in self.scannable:
                self._submit(
                    Priority.PREPARE,
                    self._prepare,
                    self._on_prepared_for(account_id),
                    account_id,
                    self.plan.partition_regions,
                    self.plan.identity.partition,
                )
            while self.work.busy or self._next_steps():
                for handler, outcome in self.work.outcomes():
                    handler(outcome)
                self.work.fill()
                self.story.tick()
        except KeyboardInterrupt:
            self.interrupted = True
            log.warning("interrupted: writing what was gathered, marked incomplete")
            self.work.cancel()

    def _prepare(
        self,
        sessions: SessionFactory,
        account_id: str,
        partition_regions: tuple[str, ...],
        partition: str,
    ) -> Prepared:
        # In a worker thread: the account's time in the log starts when its first unit does.
        self.story.started(account_id)
        return prepare_account(sessions, account_id, partition_regions, partition)

    def _submit(
        self, priority: Priority, work: Callable[..., Any], handler: Handler, *args: Any
    ) -> None:
        self.work.submit(priority, work, handler, self.sessions, *args)

    def _next_steps(self) -> bool:
        """Called when nothing is pending: submit what could not start earlier."""
        if self.interrupted:
            return False
        if self.ledger.unowned_buckets(self.read_requested) and self.owners.other_accounts:
            self._look_for_owners()  # every listing is in: probe, then search the next batch
        if not self.work.busy:  # nowhere left to look: read with the trails' accounts
            for bucket in self.ledger.unowned_buckets(self.read_requested):
                self._request_read(bucket)
        return self.work.busy

    def _look_for_owners(self) -> None:
        """Search the other accounts for the owners of buckets no scanned account owns as soon
        as every scanned account has listed its own, not only once all other work is done.
        Reading an ownerless bucket still waits for the end: until then more trails may name
        it, and its read uses the accounts of all its trails."""
        if self.interrupted or not self.owners.may_start():
            return
        unowned = self.ledger.unowned_buckets(self.read_requested)
        # A bucket whose probe is out may yet turn out to be gone: no batch for it alone.
        needs_owner = [bucket for bucket in unowned if bucket not in self.owners.probing]
        for bucket in self.owners.to_probe(unowned):
            # A probe only asks whether the bucket exists: its lifecycle and public access
            # are read once, by its owner, when it is read for the finding.
            request = self.ledger.read_request(bucket, self.sessions.default_region)
            self._submit(
                Priority.READ,
                read_bucket,
                self._on_probed_for(bucket),
                replace(request, integrity=False),
            )
        if needs_owner and not self.owners.searching:
            for account_id in self.owners.next_batch(self.plan.settings.workers):
                self._submit(
                    Priority.LISTING, list_buckets, self._on_listed_other(account_id), account_id
                )

    def _request_read(self, bucket: str) -> None:
        if bucket not in self.read_requested:
            self.read_requested.add(bucket)
            self._submit(
                Priority.READ,
                read_bucket,
                self._on_bucket_for(bucket),
                self.ledger.read_request(bucket, self.sessions.default_region),
            )

    # -------------------------------------------------------------- outcomes

    def _on_prepared_for(self, account_id: str) -> Handler:
        def handle(outcome: Prepared | AwsError) -> None:
            self.owners.unprepared -= 1
            if isinstance(outcome, AwsError):  # an unexpected failure
                outcome = Prepared(regions_error=outcome)
            if outcome.assume_error is not None:
                self.ledger.account_failed(account_id, outcome.assume_error)
                self.story.prepared(
                    account_id, regions=None, assume_error=outcome.assume_error.code
                )
                self._look_for_owners()
                return
            regions = self.ledger.regions_to_scan(
                account_id, outcome.regions, outcome.regions_error
            )
            self.story.prepared(account_id, regions=len(regions))
            # A bucket is read as soon as both a trail and the bucket's owner are known.
            self.owners.own_listings += 1
            self._submit(
                Priority.LISTING, list_buckets, self._on_listed_for(account_id), account_id
            )
            self.work.submit_each(Priority.TRAILS, self._trail_units(account_id, regions))

        return handle

    def _trail_units(self, account_id: str, regions: list[str]) -> Iterator[Unit]:
        """The account's region listings, each made when it starts."""
        for region in regions:
            handler = self._on_trails_for(account_id, region)
            yield read_trails, handler, (self.sessions, account_id, region)

    def _on_trails_for(self, account_id: str, region: str) -> Handler:
        def handle(outcome: TrailsRead | AwsError) -> None:
            fresh = self.ledger.trails_read(account_id, region, outcome)
            self._take_trails(fresh)
            if self.own_org_trails is not None and region not in self.org_regions_read:
                self.org_regions_read.add(region)
                self._submit(
                    Priority.TRAILS,
                    read_trails,
                    self._on_org_trails_in(region),
                    self.own_org_trails,
                    region,
                )
            # A failed listing and a malformed one both leave the region's evidence incomplete.
            self.story.region_read(
                account_id,
                trails=len(fresh),
                failed=(account_id, region) in self.ledger.region_failed,
            )

        return handle

    def _take_trails(self, fresh: list[Trail]) -> None:
        for trail in fresh:
            # Health is read once per unique trail, by its owner, in its home region.
            self._submit(Priority.READ, read_health, self._on_health_for(trail), trail)
            key = trail.kms_key_id
            if key is not None and self.integrity.new_key(key):  # each key once, by its owner
                readers = key_readers(key, (trail.account_id,))
                self._submit(Priority.READ, read_key_unit, self.integrity.on_key(key), key, readers)
            if trail.bucket_name in self.ledger.owner_of:
                self._request_read(trail.bucket_name)
            else:
                self._look_for_owners()

    def _on_org_trails_in(self, region: str) -> Handler:
        def handle(outcome: TrailsRead | AwsError) -> None:
            error = outcome if isinstance(outcome, AwsError) else outcome.error
            if error is not None:  # the members' own views still stand
                log.info("organization trails in %s could not be read: %s", region, error.code)
                return
            assert isinstance(outcome, TrailsRead)
            org = [trail for trail in outcome.trails if trail.is_organization_trail]
            self._take_trails(self.ledger.learn_trails(org))

        return handle

    def _take_listing(self, account_id: str, outcome: BucketsListed | AwsError) -> AwsError | None:
        if isinstance(outcome, AwsError):
            return outcome
        if outcome.error is None:
            self.ledger.listing_succeeded(account_id)
        for bucket in self.ledger.learn_owners(account_id, outcome.owned):
            self._request_read(bucket)
        return outcome.error

    def _on_listed_for(self, account_id: str) -> Handler:
        def handle(outcome: BucketsListed | AwsError) -> None:
            self.owners.own_listings -= 1
            error = self._take_listing(account_id, outcome)
            if error is not None:
                # Not a coverage gap: its buckets are then read with the trail owner's
                # credentials, and an unreadable one becomes an ERROR finding.
                self.ledger.record(account_id, None, ErrorStage.BUCKET, error)
            self._look_for_owners()

        return handle

    def _on_listed_other(self, account_id: str) -> Handler:
        def handle(outcome: BucketsListed | AwsError) -> None:
            self.owners.searching -= 1
            error = self._take_listing(account_id, outcome)
            if error is not None:  # outside the scope: worth a log line, not a coverage row
                log.info("%s (not in scope): cannot list buckets: %s", account_id, error.code)
            self._look_for_owners()

        return handle

    def _on_probed_for(self, bucket: str) -> Handler:
        def handle(outcome: BucketFacts | AwsError) -> None:
            # Only "gone" is final: a bucket that exists may belong to an account of the
            # organization not searched yet, and is then read with that owner's credentials.
            self.owners.probe_done(bucket)
            if (
                isinstance(outcome, BucketFacts)
                and outcome.error_code in MISSING_BUCKET_CODES
                and bucket not in self.ledger.owner_of
                and bucket not in self.read_requested
            ):
                self.read_requested.add(bucket)
                self._bucket_read(bucket, outcome)
            else:
                self._look_for_owners()  # it exists: its owner is still to be found

        return handle

    def _on_health_for(self, trail: Trail) -> Handler:
        def handle(outcome: TrailHealth | AwsError) -> None:
            self.ledger.health_read(trail, outcome)

        return handle

    def _on_bucket_for(self, bucket: str) -> Handler:
        def handle(outcome: BucketFacts | AwsError) -> None:
            self._bucket_read(bucket, outcome)

        return handle

    def _bucket_read(self, bucket: str, outcome: BucketFacts | AwsError) -> None:
        self.ledger.bucket_read(bucket, outcome)
        facts = self.ledger.bucket_facts[bucket]
        self.story.bucket_read(bucket, facts.bucket_account_id, facts.error_code or "read")
        owner = facts.bucket_account_id
        if facts.error is None and owner is not None and self.integrity.new_owner(owner):
            self._submit(Priority.READ, read_block_unit, self.integrity.on_block(owner), owner)
