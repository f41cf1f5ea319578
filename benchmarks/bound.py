"""The physical limit of a scan: the calls the work needs, and how fast they can possibly go.

Derived from the organization's description alone, never from what the scanner did. A run has
two phases, the second waiting for the first to end (it reads what the scan found), so the
bound is the sum of each phase's own bound: the larger of its calls × latency ÷ workers (the
``workers`` calls in flight at a time) and its longest chain of dependent calls × latency.

**The scan** needs, per scanned account: ``AssumeRole`` (member accounts), ``DescribeRegions``,
one ``DescribeTrails`` per region and ``ListBuckets``; per reported trail (each once, the
organization trail included): ``GetTrailStatus`` and ``GetEventSelectors``; per unique bucket of
a reported trail: one Object Lock read and one versioning read (plus a region lookup where
``ListBuckets`` does not give the region), or a single call that finds it missing; per readable
bucket its three integrity reads (lifecycle, policy status, Block Public Access); per account
owning such a bucket its own Block Public Access (s3control); per unique KMS key of a reported
trail its state and rotation. Its chain: role → regions → trails → [bucket region] → lock.

**After the scan**, two steps read at the same time. The pre-lock count needs, per PASS bucket,
its inventory lookup and a listing (``HeadObject`` per sampled file); chain: 2. The tamper step
(contract 5.3) needs, once per account that owns a reported trail or a readable trail bucket,
``GetAccountAuthorizationDetails``; per such bucket ``GetBucketPolicy``; per unique KMS key of a
reported trail ``GetKeyPolicy``; from the caller one
``DescribeOrganization``, and for the member owners' paths from the root one ``ListParents`` per
account and per OU on them (each child's parent once), two ``ListPoliciesForTarget`` (SCP, RCP)
per target on a path, and one ``DescribePolicy`` per policy attached there (the two AWS-managed
ones and the accounts' own SCPs). Its chain: the deepest path's ``ListParents`` one after the
other (account → OUs → root), then the root's ``ListPoliciesForTarget``, then ``DescribePolicy``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from orgscan.model import ReasonCode
from orgscan.simulate.spec import ROOT_PATH, OrgSpec, bucket_reason, skip_reason

#: The integrity reads of each readable bucket, after its lock and versioning.
INTEGRITY_BUCKET_OPERATIONS = (
    "s3.GetBucketLifecycleConfiguration",
    "s3.GetBucketPolicyStatus",
    "s3.GetPublicAccessBlock",
)


@dataclass(frozen=True)
class Phase:
    """A part of the run that starts only once the one before it has ended."""

    name: str
    calls: Counter[str]
    #: The longest chain of calls that wait for each other's answers.
    chain: int

    def throughput_s(self, latency_s: float, workers: int) -> float:
        """The phase's calls × latency ÷ workers."""
        return sum(self.calls.values()) * latency_s / workers

    def seconds(self, latency_s: float, workers: int) -> float:
        """The phase's bound: the larger of its throughput and its chain."""
        return max(self.throughput_s(latency_s, workers), self.chain * latency_s)


@dataclass(frozen=True)
class LowerBound:
    """The calls a scan of the organization needs and the least time they can take."""

    phases: tuple[Phase, ...]
    latency_s: float
    workers: int
    scanned_accounts: int
    unique_buckets: int

    @property
    def calls(self) -> Counter[str]:
        """Every call the work needs, by operation, all phases together."""
        total: Counter[str] = Counter()
        for phase in self.phases:
            total.update(phase.calls)
        return total

    @property
    def total_calls(self) -> int:
        """Every call the work needs."""
        return sum(self.calls.values())

    def phase_seconds(self, phase: Phase) -> float:
        """One phase's bound."""
        return phase.seconds(self.latency_s, self.workers)

    @property
    def seconds(self) -> float:
        """The bound: each phase's, one after the other."""
        return sum(self.phase_seconds(phase) for phase in self.phases)

    @property
    def calls_per_account(self) -> float:
        """Needed calls per scanned account."""
        return self.total_calls / max(1, self.scanned_accounts)


def lower_bound(
    spec: OrgSpec, *, latency_s: float, workers: int, listing_gives_region: bool = True
) -> LowerBound:
    """The lower bound of a full scan of ``spec`` over its regions."""
    scanned = [a for a in spec.all_accounts if a.in_organization and not a.closed]
    members = [a for a in scanned if a is not spec.management]
    owners = {
        bucket.name: (account, bucket)
        for account in spec.all_accounts
        for bucket in account.buckets
    }
    trails = [
        trail
        for account in spec.all_accounts
        for trail in account.trails
        if skip_reason(account, trail, spec.regions) is None
    ]
    reported = {trail.bucket for trail in trails}
    block_owners: set[str] = set()
    calls: Counter[str] = Counter(
        {
            "sts.AssumeRole": len(members),
            "ec2.DescribeRegions": len(scanned),
            "cloudtrail.DescribeTrails": len(scanned) * len(spec.regions),
            "s3.ListBuckets": len(scanned),
            # Health is read beside the bucket, after the trail listing: the chain stays as long.
            "cloudtrail.GetTrailStatus": len(trails),
            "cloudtrail.GetEventSelectors": len(trails),
        }
    )
    after: Counter[str] = Counter()
    for name in reported:
        owner, bucket = owners.get(name, (None, None))
        readable = (
            owner is not None
            and bucket is not None
            and not bucket.deleted
            and owner.in_organization
            and not owner.closed
        )
        if not readable:
            calls["s3.HeadBucket"] += 1  # one call finds it gone (or not ours to read)
            continue
        if not listing_gives_region:
            calls["s3.HeadBucket"] += 1
        calls["s3.GetObjectLockConfiguration"] += 1
        calls["s3.GetBucketVersioning"] += 1
        for operation in INTEGRITY_BUCKET_OPERATIONS:
            calls[operation] += 1
        assert owner is not None
        block_owners.add(owner.name)
        if spec.policy.prelock and bucket_reason(bucket, True, spec.policy) is ReasonCode.COMPLIANT:
            # The pre-lock count (contract 5.4): is there an inventory report, then one listing
            # page of the trails' log prefix; the simulated buckets hold no log file, so no
            # HeadObject (a bucket with files adds up to prelock_sample_size of them).
            after["s3.ListBucketInventoryConfigurations"] += 1
            after["s3.ListObjectVersions"] += 1
    # Integrity beside the lock (contract 5.2): once per owning account, once per key.
    calls["s3-control.GetPublicAccessBlock"] = len(block_owners)
    keys = {(trail.home_region, trail.kms_key.name) for trail in trails if trail.kms_key}
    calls["kms.DescribeKey"] = calls["kms.GetKeyRotationStatus"] = len(keys)
    tamper, tamper_chain = _tamper_calls(spec, trails_by_account(spec))
    after.update(tamper)
    after["kms.GetKeyPolicy"] = len(keys)  # each trail key's policy, a tamper path
    # The pre-lock count's chain is its inventory lookup, then the listing.
    prelock_chain = 2 if after["s3.ListObjectVersions"] else 0
    phases = (
        # No zero counts: an operation the work does not need is not listed.
        Phase("scan", +calls, 4 if listing_gives_region else 5),
        Phase("after the scan", +after, max(tamper_chain, prelock_chain)),
    )
    return LowerBound(
        phases=phases,
        latency_s=latency_s,
        workers=workers,
        scanned_accounts=len(scanned),
        unique_buckets=len(reported),
    )


def trails_by_account(spec: OrgSpec) -> dict[str, list[str]]:
    """Account name -> the buckets of its reported trails."""
    return {
        account.name: [
            trail.bucket
            for trail in account.trails
            if skip_reason(account, trail, spec.regions) is None
        ]
        for account in spec.all_accounts
    }


def _tamper_calls(spec: OrgSpec, reported: dict[str, list[str]]) -> tuple[Counter[str], int]:
    """The tamper step's reads (see the module's docstring), by operation, and its longest
    chain."""
    accounts = {account.name: account for account in spec.all_accounts}
    bucket_owner = {
        bucket.name: account
        for account in spec.all_accounts
        for bucket in account.buckets
        if account.in_organization and not account.closed and not bucket.deleted
    }
    owners: set[str] = set()
    buckets: set[str] = set()
    for name, trail_buckets in reported.items():
        if trail_buckets:
            owners.add(name)
        for bucket in trail_buckets:
            if bucket in bucket_owner:
                owners.add(bucket_owner[bucket].name)
                buckets.add(bucket)
    targets: set[str] = set()
    chain = 0
    for name in owners:
        account = accounts[name]
        if account is spec.management:
            continue  # SCPs and RCPs never bind it: its path is not read
        # The OUs above the account and the root: one ListParents each, one after the other.
        levels = [
            account.ou_path.rsplit("/", depth)[0] for depth in range(account.ou_path.count("/"))
        ]
        targets |= {f"account:{name}", *levels}
        # Then the root's policies are listed, then described.
        chain = max(chain, len(levels) + 2)
    # Each child's parent is read once: every target on a path but the root.
    own_scps = sum(
        len(accounts[t.split(":", 1)[1]].scps) for t in targets if t.startswith("account:")
    )
    calls = Counter(
        {
            "organizations.DescribeOrganization": 1,
            "iam.GetAccountAuthorizationDetails": len(owners),
            "s3.GetBucketPolicy": len(buckets),
            "organizations.ListParents": len(targets - {ROOT_PATH}),
            "organizations.ListPoliciesForTarget": 2 * len(targets),
            "organizations.DescribePolicy": (2 + own_scps) if targets else 0,
        }
    )
    return calls, max(chain, 1)
