"""A large simulated organization for the benchmark and scale tests, generated from a seed.

``n`` workload accounts spread over a few OUs, each with a few trails across the given regions;
about ``central_share`` of the trails deliver into the log-archive account's central bucket, the
rest into the account's own bucket, whose Object Lock state is drawn from a realistic mix.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Sequence
from dataclasses import replace

from orgscan.model import LockMode, ManagementEvents, Policy
from orgscan.simulate.spec import AccountSpec, BucketSpec, OrgSpec, Retention, TrailSpec

#: The 17 commercial regions enabled by default in every account (no opt-in needed).
DEFAULT_REGIONS: tuple[str, ...] = (
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "sa-east-1",
)
SCALE_POLICY = Policy(min_retention_days=90)
WORKLOAD_OUS = (
    "/Root/Workloads/Prod",
    "/Root/Workloads/Staging",
    "/Root/Workloads/Dev",
    "/Root/Sandbox",
)
CENTRAL_BUCKET = "acme-scale-log-archive-cloudtrail"
MULTI_REGION_SHARE = 0.25
CLOSED_SHARE = 0.02

#: (weight, bucket template) of the lock states drawn for an account's own bucket; the name and
#: region are filled in per account.
_LOCK_MIX: tuple[tuple[float, BucketSpec], ...] = (
    (0.35, BucketSpec("", "", True, Retention(LockMode.COMPLIANCE, days=365))),
    (0.15, BucketSpec("", "", True, Retention(LockMode.GOVERNANCE, years=1))),
    (0.15, BucketSpec("", "", versioning=True)),
    (0.10, BucketSpec("", "")),
    (0.10, BucketSpec("", "", object_lock=True)),
    (0.10, BucketSpec("", "", True, Retention(LockMode.GOVERNANCE, days=30))),
    (0.05, BucketSpec("", "", deleted=True)),
)


def scale_spec(
    n_accounts: int,
    *,
    regions: Sequence[str] = DEFAULT_REGIONS,
    trails_per_account: tuple[int, int] = (1, 3),
    central_share: float = 0.4,
    seed: int = 0,
) -> OrgSpec:
    """Describe an organization of ``n_accounts`` workload accounts (plus management, log-archive).

    The same arguments always give the same description.
    """
    if n_accounts < 0:
        raise ValueError("n_accounts must not be negative")
    low, high = trails_per_account
    if not 0 <= low <= high:
        raise ValueError(f"trails_per_account needs 0 <= low <= high, got {trails_per_account}")
    if not regions:
        raise ValueError("a scale organization needs at least one region")
    regions = tuple(regions)
    rng = random.Random(seed)
    width = max(4, len(str(n_accounts)))
    workloads = tuple(
        _workload(f"workload-{index:0{width}d}", rng, regions, (low, high), central_share)
        for index in range(1, n_accounts + 1)
    )
    log_archive = AccountSpec(
        name="log-archive",
        ou_path="/Root/Security",
        buckets=(
            BucketSpec(
                name=CENTRAL_BUCKET,
                region=regions[0],
                object_lock=True,
                retention=Retention(LockMode.COMPLIANCE, days=365),
            ),
        ),
    )
    management = AccountSpec(
        name="management",
        trails=(
            TrailSpec(
                name="acme-org-trail",
                home_region=regions[0],
                bucket=CENTRAL_BUCKET,
                multi_region=True,
                organization=True,
            ),
        ),
    )
    return OrgSpec(
        management=management,
        log_archive_name=log_archive.name,
        members=(log_archive, *workloads),
        regions=regions,
        policy=SCALE_POLICY,
        home_region=regions[0],
    )


def _health(trail_name: str) -> tuple[bool, ManagementEvents]:
    """One trail in ten stopped and one in ten recording no management events, fixed by the
    trail's name (not drawn: the seeded draws of every other property stay as they were)."""
    draw = zlib.crc32(trail_name.encode()) % 10
    return draw != 0, ManagementEvents.NONE if draw == 1 else ManagementEvents.ALL


def _workload(
    name: str,
    rng: random.Random,
    regions: tuple[str, ...],
    trails_per_account: tuple[int, int],
    central_share: float,
) -> AccountSpec:
    """One workload account drawn from ``rng``."""
    own_bucket = f"acme-{name}-cloudtrail"
    trails = []
    for number in range(1, rng.randint(*trails_per_account) + 1):
        central = rng.random() < central_share
        logging, events = _health(f"{name}-trail-{number}")
        trails.append(
            TrailSpec(
                name=f"{name}-trail-{number}",
                home_region=rng.choice(regions),
                bucket=CENTRAL_BUCKET if central else own_bucket,
                multi_region=rng.random() < MULTI_REGION_SHARE,
                logging=logging,
                management_events=events,
            )
        )
    # Drawn for every account, used or not, so one account's trails never shift the next's draws.
    weights = [weight for weight, _ in _LOCK_MIX]
    template = rng.choices([bucket for _, bucket in _LOCK_MIX], weights=weights)[0]
    closed = rng.random() < CLOSED_SHARE
    buckets: tuple[BucketSpec, ...] = ()
    own_trails = [trail for trail in trails if trail.bucket == own_bucket]
    if own_trails:
        buckets = (replace(template, name=own_bucket, region=own_trails[0].home_region),)
    return AccountSpec(
        name=name,
        ou_path=rng.choice(WORKLOAD_OUS),
        buckets=buckets,
        trails=tuple(trails),
        closed=closed,
    )
