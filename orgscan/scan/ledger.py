"""What a scan learned: accounts prepared, regions read, trails, bucket facts, errors.

The coordinator records outcomes here as they arrive; ``result`` turns them into the
``ScanResult``, in a stable order, with the rule applied to every trail's bucket.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime

from orgscan import __version__
from orgscan.aws.regions import means_region_disabled, region_failure_code
from orgscan.collect.trails import TrailHealth
from orgscan.error_codes import (
    DENIED_BY_ORGANIZATION_POLICY,
    INTERRUPTED,
    MISSING_BUCKET_CODES,
    REGION_DISABLED_CODES,
    REGION_NOT_ENABLED,
)
from orgscan.facts import Account, AwsError, BucketFacts, Trail
from orgscan.integrity import IntegrityReads
from orgscan.model import (
    AccountCoverage,
    AccountState,
    ErrorStage,
    Finding,
    RunInfo,
    ScanError,
    ScanResult,
)
from orgscan.rule import judged_outside, trail_finding
from orgscan.scan.planning import ScanPlan, iso
from orgscan.scan.units import MAX_READ_CANDIDATES, BucketRequest, TrailsRead
from orgscan.verdicts import AccountRegions, with_verdicts

log = logging.getLogger(__name__)

_MAX_MESSAGE = 500


class Ledger:
    """The scan's evidence so far. Only the coordinator's thread writes to it."""

    def __init__(self, plan: ScanPlan) -> None:
        self.plan = plan
        self.prepared: set[str] = set()
        self.account_error: dict[str, str] = {}
        self.planned_regions: dict[str, list[str]] = {}
        self.regions_ok: Counter[str] = Counter()
        self.region_failed: set[tuple[str, str]] = set()
        self.trails: dict[str, Trail] = {}
        self.trails_by_bucket: dict[str, list[Trail]] = {}
        # Bucket ownership: name -> (owner account, region if ListBuckets told it).
        self.owner_of: dict[str, tuple[str, str | None]] = {}
        self.bucket_facts: dict[str, BucketFacts] = {}
        self.errors: list[ScanError] = []
        self.health: dict[str, TrailHealth] = {}  # trail ARN -> its status and selectors
        self.regions_read: set[tuple[str, str]] = set()
        # Accounts whose regions DescribeRegions listed: a "not enabled" code there is not one.
        self.known_enabled: set[str] = set()
        # (account, region) denied by an organization policy in a region known to be denied.
        self.denied_expected: set[tuple[str, str]] = set()
        self.listed_ok: set[str] = set()  # accounts whose ListBuckets succeeded

    def record(
        self, account_id: str, region: str | None, stage: ErrorStage, error: AwsError
    ) -> None:
        """Add an ``errors[]`` row (and a log line)."""
        self.errors.append(
            ScanError(account_id, region, stage, error.code, error.message[:_MAX_MESSAGE])
        )
        log.warning(
            "%s %s %s: %s: %s", account_id, region or "-", stage.value, error.code, error.message
        )

    def account_failed(self, account_id: str, error: AwsError) -> None:
        """The account's role could not be assumed: it is not scanned."""
        self.account_error[account_id] = error.code
        self.record(account_id, None, ErrorStage.ASSUME_ROLE, error)

    def region_failed_with(
        self, account_id: str, region: str, stage: ErrorStage, error: AwsError
    ) -> None:
        """A region of the account could not be read: its evidence is incomplete."""
        self.region_failed.add((account_id, region))
        self.record(account_id, region, stage, error)

    def regions_to_scan(
        self, account_id: str, enabled: list[str] | None, error: AwsError | None
    ) -> list[str]:
        """The account is prepared: the regions to read in it, given its ``enabled`` regions
        (None when DescribeRegions failed with ``error``)."""
        self.prepared.add(account_id)
        requested = list(self.plan.settings.regions)
        if enabled is None:
            # DescribeRegions failed: scan what was asked for, or every region of the
            # partition; regions that are not enabled then fail visibly, one row each.
            self.record(
                account_id,
                None,
                ErrorStage.REGIONS,
                error or AwsError("Unknown", "DescribeRegions failed"),
            )
            regions = requested or list(self.plan.partition_regions)
        elif not requested:
            self.known_enabled.add(account_id)
            regions = enabled
        else:
            self.known_enabled.add(account_id)
            for region in requested:
                if region not in enabled:
                    self.region_failed_with(
                        account_id,
                        region,
                        ErrorStage.REGIONS,
                        AwsError(REGION_NOT_ENABLED, f"{region} is not enabled for the account"),
                    )
            regions = [region for region in requested if region in enabled]
        self.planned_regions[account_id] = regions
        return regions

    def trails_read(
        self, account_id: str, region: str, outcome: TrailsRead | AwsError
    ) -> list[Trail]:
        """Fold one region's trail listing in; return the trails not seen before (an
        organization trail is listed by several accounts and regions)."""
        if isinstance(outcome, AwsError):
            outcome = TrailsRead(trails=[], error=outcome)
        if outcome.error is not None:
            self._region_error(account_id, region, outcome.error)
            return []
        if outcome.malformed:
            # Trails that cannot be judged leave the region's evidence incomplete.
            self.region_failed_with(
                account_id,
                region,
                ErrorStage.TRAILS,
                AwsError(
                    "MalformedResponse",
                    f"{outcome.malformed} trail entries without TrailARN or S3BucketName were "
                    "skipped",
                ),
            )
        else:
            self.regions_ok[account_id] += 1
            self.regions_read.add((account_id, region))
        return self.learn_trails(outcome.trails)

    def learn_trails(self, trails: list[Trail]) -> list[Trail]:
        """Add ``trails``; return those not seen before."""
        fresh = []
        for trail in trails:
            if trail.trail_arn not in self.trails:
                self.trails[trail.trail_arn] = trail
                self.trails_by_bucket.setdefault(trail.bucket_name, []).append(trail)
                fresh.append(trail)
        return fresh

    def _region_error(self, account_id: str, region: str, error: AwsError) -> None:
        code = region_failure_code(error.code, error.message)
        if code == DENIED_BY_ORGANIZATION_POLICY:
            if region in self.plan.settings.denied_regions:
                # Expected (e.g. Control Tower's region deny): not scanned, not missing.
                self.denied_expected.add((account_id, region))
                log.info("%s %s: denied by organization policy, as configured", account_id, region)
                return
            self.region_failed_with(
                account_id,
                region,
                ErrorStage.REGIONS,
                AwsError(code, f"denied by organization policy: {error.message}"),
            )
            return
        if means_region_disabled(code, known_enabled=account_id in self.known_enabled):
            self.region_failed_with(account_id, region, ErrorStage.REGIONS, error)
        elif code in REGION_DISABLED_CODES:
            # DescribeRegions listed the region as enabled: the credentials were refused (e.g.
            # a global STS token in an opt-in region), which is not "region not enabled".
            self.region_failed_with(
                account_id,
                region,
                ErrorStage.TRAILS,
                AwsError(code, f"credentials refused in an enabled region: {error.message}"),
            )
        else:
            self.region_failed_with(account_id, region, ErrorStage.TRAILS, error)

    def health_read(self, trail: Trail, outcome: TrailHealth | AwsError) -> None:
        """Fold one trail's status and selectors in; what could not be read is an error row
        (the account verdicts it decides become UNKNOWN, the run stays complete)."""
        if isinstance(outcome, AwsError):
            outcome = TrailHealth(None, None, None, outcome, outcome)
        self.health[trail.trail_arn] = outcome
        for operation, error in (
            ("GetTrailStatus", outcome.status_error),
            ("GetEventSelectors", outcome.selectors_error),
        ):
            if error is not None:
                self.record(
                    trail.account_id,
                    trail.home_region,
                    ErrorStage.TRAILS,
                    AwsError(error.code, f"{trail.trail_arn}: {operation}: {error.message}"),
                )

    def listing_succeeded(self, account_id: str) -> None:
        """``account_id`` listed its buckets: a bucket it did not list is not its own."""
        self.listed_ok.add(account_id)

    def learn_owners(self, account_id: str, owned: dict[str, str | None]) -> list[str]:
        """``account_id`` owns the buckets ``owned`` (the first account to list a bucket wins);
        return those a trail delivers to."""
        for bucket, region in owned.items():
            self.owner_of.setdefault(bucket, (account_id, region))
        return [bucket for bucket in owned if bucket in self.trails_by_bucket]

    def unowned_buckets(self, requested: set[str]) -> list[str]:
        """Buckets trails deliver to that no account listed, and whose read was not requested."""
        return sorted(
            bucket
            for bucket in self.trails_by_bucket
            if bucket not in self.owner_of and bucket not in requested
        )

    def read_request(self, bucket: str, home_region: str) -> BucketRequest:
        """How to read ``bucket`` with what is known of it now."""
        trails = sorted(self.trails_by_bucket.get(bucket, []), key=lambda t: t.trail_arn)
        owner, region = self.owner_of.get(bucket, (None, None))
        # The owner's credentials first; without an owner in the organization, the accounts
        # whose trails deliver there (the bucket may be readable to them, or be gone).
        candidates = tuple(
            dict.fromkeys(([owner] if owner else []) + [trail.account_id for trail in trails])
        )
        lookup_region = trails[0].home_region if trails else home_region
        return BucketRequest(bucket, owner, region, lookup_region, candidates[:MAX_READ_CANDIDATES])

    def bucket_read(self, bucket: str, outcome: BucketFacts | AwsError) -> None:
        """Fold a bucket read in; a failed read is an error row unless the bucket is gone
        (a missing bucket is a FAIL finding, not missing evidence)."""
        if isinstance(outcome, AwsError):
            owner, region = self.owner_of.get(bucket, (None, None))
            outcome = BucketFacts.unreadable(bucket, owner, region, outcome)
        self.bucket_facts[bucket] = outcome
        account = outcome.bucket_account_id or self._first_trail_owner(bucket)
        if outcome.error is not None:
            if outcome.error.code not in MISSING_BUCKET_CODES:
                self.record(
                    account,
                    outcome.bucket_region,
                    ErrorStage.BUCKET,
                    AwsError(outcome.error.code, f"{bucket}: {outcome.error.message}"),
                )
        elif outcome.versioning_error is not None:  # the lock was read; versioning not
            self.record(
                account,
                outcome.bucket_region,
                ErrorStage.BUCKET,
                AwsError(
                    outcome.versioning_error.code,
                    f"{bucket}: versioning: {outcome.versioning_error.message}",
                ),
            )

    def _first_trail_owner(self, bucket: str) -> str:
        trails = self.trails_by_bucket.get(bucket, [])
        return min(trail.account_id for trail in trails) if trails else ""

    def record_interruptions(self, scannable: list[str]) -> None:
        """After Ctrl-C: an error row for every account and region not read."""
        stop = AwsError(INTERRUPTED, "the scan was interrupted before this was read")
        done = self.region_failed | self.regions_read | self.denied_expected
        for account_id in scannable:
            if account_id in self.account_error:
                continue
            if account_id not in self.prepared:
                self.account_failed(account_id, stop)
                continue
            # One row per region not read, named: the account's verdict counts each as not
            # read, and verify --recompute rebuilds the account's regions from these rows.
            for region in self.planned_regions.get(account_id, []):
                if (account_id, region) not in done:
                    self.record(
                        account_id,
                        region,
                        ErrorStage.TRAILS,
                        AwsError(
                            INTERRUPTED, "the scan was interrupted before this region was read"
                        ),
                    )

    def result(
        self,
        *,
        scannable: list[str],
        interrupted: bool,
        started: datetime,
        finished: datetime,
        integrity: IntegrityReads | None = None,
    ) -> ScanResult:
        """Findings, coverage and errors, in a stable order; ``integrity`` holds the keys and
        accounts' Block Public Access read for the integrity checks."""
        if interrupted:
            self.record_interruptions(scannable)
        active = [
            a.account_id for a in self.plan.organization.accounts if a.state == AccountState.ACTIVE
        ]
        findings = [
            self._finding(trail, started, integrity, active) for trail in self.trails.values()
        ]
        findings.sort(key=lambda f: (f.account_id, f.home_region, f.trail_name, f.trail_arn))
        accounts = with_verdicts(
            [self._coverage(account) for account in self.plan.organization.accounts],
            findings,
            self._account_regions(),
        )
        complete = (
            not interrupted
            and not self.account_error
            and not self.region_failed
            and all(account_id in self.prepared for account_id in scannable)
            and not any(e.stage is ErrorStage.REGIONS and e.region is None for e in self.errors)
        )
        settings = self.plan.settings
        regions = sorted(
            set(settings.regions)
            or {r for regions in self.planned_regions.values() for r in regions}
        )
        run = RunInfo(
            started_at=iso(started),
            finished_at=iso(finished),
            tool_version=__version__,
            caller_arn=self.plan.identity.arn,
            organization_id=self.plan.organization.organization_id,
            policy=settings.policy,
            regions=tuple(regions),
            complete=complete,
        )
        errors = sorted(
            self.errors, key=lambda e: (e.account_id, e.region or "", e.stage.value, e.error_code)
        )
        return ScanResult(
            run=run, accounts=tuple(accounts), findings=tuple(findings), errors=tuple(errors)
        )

    def _finding(
        self, trail: Trail, started: datetime, reads: IntegrityReads | None, active: list[str]
    ) -> Finding:
        facts = self.bucket_facts.get(trail.bucket_name)
        if facts is None:  # only after an interruption
            owner, region = self.owner_of.get(trail.bucket_name, (None, None))
            facts = BucketFacts.unreadable(
                trail.bucket_name,
                owner,
                region,
                AwsError(INTERRUPTED, "the scan was interrupted before the bucket was read"),
            )
        facts = judged_outside(
            facts,
            use_org=self.plan.settings.use_org,
            owned=self.owner_of,
            active=active,
            listed_ok=self.listed_ok,
        )
        health = self.health.get(trail.trail_arn)
        return trail_finding(trail, facts, self.plan.settings.policy, health, started, reads)

    def _account_regions(self) -> dict[str, AccountRegions]:
        """Per scanned account: the regions read, and those planned but not read (failed or
        interrupted). Regions known to be denied by an organization policy are neither."""
        regions: dict[str, AccountRegions] = {}
        for account_id in self.prepared:
            planned = [
                region
                for region in self.planned_regions.get(account_id, [])
                if (account_id, region) not in self.denied_expected
            ]
            scanned = tuple(
                region for region in planned if (account_id, region) in self.regions_read
            )
            regions[account_id] = AccountRegions(
                scanned=scanned, failed=tuple(r for r in planned if r not in scanned)
            )
        return regions

    def _coverage(self, account: Account) -> AccountCoverage:
        scanned = account.account_id in self.prepared
        return AccountCoverage(
            account_id=account.account_id,
            name=account.name,
            ou_path=account.ou_path,
            state=account.state,
            scanned=scanned,
            regions_scanned=self.regions_ok[account.account_id],
            error_code=self.account_error.get(account.account_id),
        )
