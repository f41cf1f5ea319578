"""The physical limit of a scan: the calls the work needs, and how fast they can possibly go.

Derived from the organization's description alone, never from what the scanner did. The work
needs, per scanned account: ``AssumeRole`` (member accounts), ``DescribeRegions``, one
``DescribeTrails`` per region and ``ListBuckets``; per reported trail (each once, the
organization trail included): ``GetTrailStatus`` and ``GetEventSelectors``; per unique bucket of
a reported trail: one Object Lock read and one versioning read (plus a region lookup where
``ListBuckets`` does not give the region), or a single call that finds it missing; per PASS
bucket, the pre-lock count's inventory lookup and listing (``HeadObject`` per sampled file);
per readable bucket its three integrity reads (lifecycle, policy status, Block Public Access);
per account owning such a bucket its own Block Public Access (s3control); per unique KMS key of a
reported trail its state and rotation. With
``workers`` calls in flight those calls take at least ``calls × latency ÷ workers``; and no
account is done before its chain of dependent calls (role → regions → trails → [bucket region] →
lock) has run one after another.

The tamper step (contract 5.3) then needs, once per account that owns a reported trail or a
readable trail bucket, ``GetAccountAuthorizationDetails``; per such bucket ``GetBucketPolicy``;
from the caller one ``DescribeOrganization``, and for the member owners' paths from the root
one ``ListParents`` per account and per OU on them (each child's parent once), two
``ListPoliciesForTarget`` (SCP, RCP) per target on a path, and one ``DescribePolicy`` per
policy attached there (the two AWS-managed ones and the accounts' own SCPs).
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
class LowerBound:
    """The calls a scan of the organization needs and the least time they can take."""

    calls: Counter[str]
    chain: int
    latency_s: float
    workers: int
    scanned_accounts: int
    unique_buckets: int

    @property
    def total_calls(self) -> int:
        """Every call the work needs."""
        return sum(self.calls.values())

    @property
    def throughput_s(self) -> float:
        """The needed calls × latency ÷ workers."""
        return self.total_calls * self.latency_s / self.workers

    @property
    def chain_s(self) -> float:
        """The longest chain of dependent calls for one account × latency."""
        return self.chain * self.latency_s

    @property
    def seconds(self) -> float:
        """The bound: the larger of the two."""
        return max(self.throughput_s, self.chain_s)

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
            calls["s3.ListBucketInventoryConfigurations"] += 1
            calls["s3.ListObjectVersions"] += 1
    calls.update(_tamper_calls(spec, trails_by_account(spec)))
    # Integrity beside the lock (contract 5.2): once per owning account, once per key.
    calls["s3-control.GetPublicAccessBlock"] = len(block_owners)
    keys = {(trail.home_region, trail.kms_key.name) for trail in trails if trail.kms_key}
    calls["kms.DescribeKey"] = calls["kms.GetKeyRotationStatus"] = len(keys)
    calls = +calls  # no zero counts
    chain = 4 if listing_gives_region else 5
    return LowerBound(
        calls=calls,
        chain=chain,
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


def _tamper_calls(spec: OrgSpec, reported: dict[str, list[str]]) -> Counter[str]:
    """The tamper step's reads (see the module's docstring), by operation."""
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
    for name in owners:
        account = accounts[name]
        if account is spec.management:
            continue  # SCPs and RCPs never bind it: its path is not read
        levels = [
            account.ou_path.rsplit("/", depth)[0] for depth in range(account.ou_path.count("/"))
        ]
        targets |= {f"account:{name}", *levels}
    own_scps = sum(
        len(accounts[t.split(":", 1)[1]].scps) for t in targets if t.startswith("account:")
    )
    return Counter(
        {
            "organizations.DescribeOrganization": 1,
            "iam.GetAccountAuthorizationDetails": len(owners),
            "s3.GetBucketPolicy": len(buckets),
            # Each child's parent is read once: every target on a path but the root.
            "organizations.ListParents": len(targets - {ROOT_PATH}),
            "organizations.ListPoliciesForTarget": 2 * len(targets),
            "organizations.DescribePolicy": (2 + own_scps) if targets else 0,
        }
    )
