"""What a simulated organization looks like: plain descriptions, and what a scan must find in it.

A builder (``demo``, ``scale``) writes one ``AccountSpec`` per account; ``build.materialise``
turns the whole ``OrgSpec`` into moto state. The expected verdict of every trail is derived here,
from the description alone, independently of the scanner's own rule: the simulated organization
is an oracle for the scanner, not a copy of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from orgscan.model import (
    AccountVerdictCode,
    LockMode,
    ManagementEvents,
    Policy,
    ReasonCode,
    RequiredMode,
)
from orgscan.simulate.build_integrity import KeySpec

#: The root of every simulated organization, as Organizations names it.
ROOT_PATH = "/Root"


@dataclass(frozen=True)
class Retention:
    """A bucket's default retention rule: a mode and exactly one of ``days`` or ``years``."""

    mode: LockMode
    days: int | None = None
    years: int | None = None

    def __post_init__(self) -> None:
        if (self.days is None) == (self.years is None):
            raise ValueError("a default retention needs exactly one of days or years")

    @property
    def total_days(self) -> int:
        """The retention in days, a year counting as 365 days (as the scanner reports it)."""
        return self.days if self.days is not None else 365 * (self.years or 0)


@dataclass(frozen=True)
class BucketSpec:
    """An S3 bucket owned by the account whose spec holds it. A ``deleted`` one is created,
    receives its trails, then is deleted, as when someone cleans up a "forgotten" bucket."""

    name: str
    region: str
    object_lock: bool = False
    retention: Retention | None = None
    versioning: bool = False
    deleted: bool = False
    #: Log files the bucket holds, written before its default retention was set (no
    #: retention: it was locked in place) and after it (contract 5.4).
    logs_before_lock: int = 0
    logs_after_lock: int = 0
    #: Integrity (contract 5.2): AWSLogs/ expiring in days, a public policy, a full block, a
    #: policy without CloudTrail's grant (a ``delivery_error`` trail fails there until it has).
    lifecycle_days: int | None = None
    public: bool = False
    block_public_access: bool = False
    withholds_delivery: bool = False

    def __post_init__(self) -> None:
        if self.retention is not None and not self.object_lock:
            raise ValueError(f"{self.name}: a default retention needs Object Lock")


@dataclass(frozen=True)
class TrailSpec:
    """A CloudTrail trail of the account whose spec holds it.

    ``bucket`` is the bucket name the trail delivers to; it may belong to another account, to an
    account outside the organization, or to nobody at all. ``logging`` False leaves the trail
    stopped; ``management_events`` is what its event selectors record of management events
    (``NONE``: data events only; ``PARTIAL``: all, but KMS and RDS Data API events excluded).
    ``global_events`` is ``IncludeGlobalServiceEvents``; ``delivery_error`` is the error
    CloudTrail reports, no delivery since, while its bucket's policy refuses CloudTrail (moto
    checks no policy: ``denials.delivery_failures`` answers it from the live one).
    """

    name: str
    home_region: str
    bucket: str
    multi_region: bool = False
    organization: bool = False
    logging: bool = True
    management_events: ManagementEvents = ManagementEvents.ALL
    global_events: bool = True
    delivery_error: str | None = None
    log_file_validation: bool = False
    kms_key: KeySpec | None = None


@dataclass(frozen=True)
class PolicySpec:
    """A named policy document (JSON text): a role's inline policy, or an SCP on an account."""

    name: str
    document: str


@dataclass(frozen=True)
class AccountSpec:
    """One account: where it sits, what it owns, and whether it is closed after being built.

    ``fixed_id`` is only for accounts outside the organization (moto lets any account id be
    assumed); accounts of the organization get the id Organizations gives them.
    ``scp_denied_regions`` are regions where a service control policy denies the account's
    ``DescribeTrails`` (answered with AWS's explicit-deny AccessDenied by the simulation).
    """

    name: str
    ou_path: str = ROOT_PATH
    buckets: tuple[BucketSpec, ...] = ()
    trails: tuple[TrailSpec, ...] = ()
    closed: bool = False
    in_organization: bool = True
    fixed_id: str | None = None
    note: str = ""
    scp_denied_regions: tuple[str, ...] = ()
    #: IAM roles, each with one inline policy (tamper paths, contract 5.3).
    roles: tuple[PolicySpec, ...] = ()
    #: Service control policies attached to the account itself.
    scps: tuple[PolicySpec, ...] = ()
    #: Block Public Access fully on for the whole account (s3control).
    block_public_access: bool = False

    @property
    def email(self) -> str:
        """A plausible, unique root e-mail address for the account."""
        return f"aws+{self.name}@acme.example"


@dataclass(frozen=True)
class OrgSpec:
    """A whole simulated organization.

    ``management`` is the caller's own account (moto's default account); ``members`` are created
    in this order, which fixes their account ids once moto's random generator is seeded.
    """

    management: AccountSpec
    log_archive_name: str
    members: tuple[AccountSpec, ...]
    regions: tuple[str, ...]
    policy: Policy
    home_region: str = "us-east-1"

    @property
    def all_accounts(self) -> tuple[AccountSpec, ...]:
        """The management account first, then every member and outside account."""
        return (self.management, *self.members)

    @property
    def ou_paths(self) -> tuple[str, ...]:
        """Every OU path the organization needs, parents before children."""
        paths: set[str] = set()
        for account in self.all_accounts:
            if not account.in_organization:
                continue
            parts = account.ou_path.strip("/").split("/")
            for depth in range(2, len(parts) + 1):
                paths.add("/" + "/".join(parts[:depth]))
        return tuple(sorted(paths, key=lambda path: (path.count("/"), path)))


@dataclass(frozen=True)
class SimulatedTrail:
    """A trail a full scan of the organization over its regions must report, and its verdict."""

    trail_arn: str
    account_id: str
    name: str
    home_region: str
    bucket_name: str
    is_multi_region: bool
    is_organization_trail: bool
    expected_reason: ReasonCode
    is_logging: bool = True
    management_events: ManagementEvents = ManagementEvents.ALL
    global_events: bool = True
    delivering: bool = True


@dataclass(frozen=True)
class SimulatedOrg:
    """The simulated organization as built: ids, structure, and the findings a scan must give.

    ``trails`` are exactly the findings of a full scan over ``regions`` under ``policy``.
    ``skipped_trails`` maps the ARN of every trail that exists but must NOT be a finding (closed
    account, single-region trail in a region the scan does not cover) to the reason why.
    ``outside_accounts`` are accounts outside the organization that own buckets trails use.
    """

    organization_id: str
    management_account_id: str
    log_archive_account_id: str
    accounts: Mapping[str, str]
    closed_account_ids: frozenset[str]
    ou_paths: Mapping[str, str]
    trails: tuple[SimulatedTrail, ...]
    regions: tuple[str, ...]
    policy: Policy
    skipped_trails: Mapping[str, str] = field(default_factory=dict)
    outside_accounts: Mapping[str, str] = field(default_factory=dict)
    #: account id -> the verdict code a full scan must give it (scanned accounts only).
    expected_verdicts: Mapping[str, AccountVerdictCode] = field(default_factory=dict)
    #: account id -> the regions where an SCP denies its DescribeTrails (see ``scp_deny``).
    scp_denied: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: trail ARN -> its delivery error while its bucket refuses CloudTrail (``delivery_failures``).
    delivery_errors: Mapping[str, str] = field(default_factory=dict)

    def trail(self, name: str) -> SimulatedTrail:
        """The expected trail called ``name`` (names are unique in a simulated organization)."""
        for trail in self.trails:
            if trail.name == name:
                return trail
        raise KeyError(name)

    @property
    def expected_reasons(self) -> dict[str, ReasonCode]:
        """trail ARN → the reason code a scan must report for it."""
        return {trail.trail_arn: trail.expected_reason for trail in self.trails}


def bucket_reason(bucket: BucketSpec | None, owner_readable: bool, policy: Policy) -> ReasonCode:
    """The reason code a scan must give a trail delivering into ``bucket`` under ``policy``.

    ``bucket`` is None when no account ever owned a bucket of that name; ``owner_readable`` is
    False when the owner is outside the organization (or closed), so nobody the scan holds may
    read the bucket. Precedence follows the contract, the worst status first.
    """
    if bucket is None or bucket.deleted:
        return ReasonCode.BUCKET_MISSING
    if not owner_readable:
        # A full scan lists every ACTIVE account without finding it (a closed account is
        # not ACTIVE): the organization cannot show the bucket is its own.
        return ReasonCode.BUCKET_OUTSIDE_ORGANIZATION
    if not bucket.object_lock:
        return ReasonCode.LOCK_NOT_CONFIGURED
    retention = bucket.retention
    # The worst status wins: a missing rule is FAIL (first) unless the policy relaxes it to
    # WARN, and then a required mode or length it cannot meet is the FAIL that decides.
    fails: list[ReasonCode] = []
    if retention is None and policy.require_default_retention:
        return ReasonCode.NO_DEFAULT_RETENTION
    mode = retention.mode if retention is not None else None
    if (policy.require_mode is RequiredMode.COMPLIANCE and mode is not LockMode.COMPLIANCE) or (
        policy.require_mode is RequiredMode.GOVERNANCE and mode is None
    ):
        fails.append(ReasonCode.MODE_NOT_ALLOWED)
    days = retention.total_days if retention is not None else 0
    if policy.min_retention_days is not None and days < policy.min_retention_days:
        fails.append(ReasonCode.RETENTION_TOO_SHORT)
    if fails:
        return fails[0]
    return ReasonCode.NO_DEFAULT_RETENTION if retention is None else ReasonCode.COMPLIANT


#: The event sources a ``PARTIAL`` trail leaves out: the console's "Exclude AWS KMS events" and
#: "Exclude Amazon RDS Data API events".
EXCLUDED_SOURCES = ("kms.amazonaws.com", "rdsdata.amazonaws.com")


def basic_selector(events: ManagementEvents) -> dict[str, Any]:
    """The basic event selector a trail recording ``events`` (not ``NONE``) is given."""
    if events is ManagementEvents.PARTIAL:
        return {
            "ReadWriteType": "All",
            "IncludeManagementEvents": True,
            "ExcludeManagementEventSources": list(EXCLUDED_SOURCES),
        }
    return {"ReadWriteType": events.value, "IncludeManagementEvents": True}


def scp_deny_message(account_id: str, action: str = "cloudtrail:DescribeTrails") -> str:
    """The message AWS gives a call an SCP explicitly denies, as the simulation answers it."""
    return (
        f"User: arn:aws:sts::{account_id}:assumed-role/OrganizationAccountAccessRole/orgscan "
        f"is not authorized to perform: {action} with an explicit deny in a service control "
        "policy"
    )


def skip_reason(account: AccountSpec, trail: TrailSpec, regions: tuple[str, ...]) -> str | None:
    """Why a scan over ``regions`` must not report ``trail`` at all, or None when it must."""
    if account.closed:
        return f"account {account.name} is closed (SUSPENDED) and is never scanned"
    if not trail.multi_region and trail.home_region not in regions:
        return f"single-region trail homed in {trail.home_region}, a region the scan leaves out"
    if not trail.multi_region and trail.home_region in account.scp_denied_regions:
        return f"single-region trail homed in {trail.home_region}, where an SCP denies the scan"
    return None


def trail_arn(account_id: str, trail: TrailSpec) -> str:
    """The ARN CloudTrail gives ``trail`` in ``account_id`` (aws partition)."""
    return f"arn:aws:cloudtrail:{trail.home_region}:{account_id}:trail/{trail.name}"


def expected_trails(
    spec: OrgSpec, ids: Mapping[str, str]
) -> tuple[tuple[SimulatedTrail, ...], dict[str, str]]:
    """What a full scan of ``spec`` over its regions must report, given account name → id.

    Returns the expected trails (with their reason codes) and, for every trail that must not
    be reported, its ARN → why.
    """
    owners = {
        bucket.name: (account, bucket)
        for account in spec.all_accounts
        for bucket in account.buckets
    }
    expected: list[SimulatedTrail] = []
    skipped: dict[str, str] = {}
    for account in spec.all_accounts:
        for trail in account.trails:
            arn = trail_arn(ids[account.name], trail)
            why = skip_reason(account, trail, spec.regions)
            if why is not None:
                skipped[arn] = why
                continue
            owner, bucket = owners.get(trail.bucket, (None, None))
            readable = owner is not None and owner.in_organization and not owner.closed
            expected.append(
                SimulatedTrail(
                    trail_arn=arn,
                    account_id=ids[account.name],
                    name=trail.name,
                    home_region=trail.home_region,
                    bucket_name=trail.bucket,
                    is_multi_region=trail.multi_region,
                    is_organization_trail=trail.organization,
                    expected_reason=bucket_reason(bucket, readable, spec.policy),
                    is_logging=trail.logging,
                    management_events=trail.management_events,
                    global_events=trail.global_events,
                    delivering=trail.delivery_error is None,
                )
            )
    return tuple(expected), skipped


def expected_verdicts(
    spec: OrgSpec, ids: Mapping[str, str], trails: tuple[SimulatedTrail, ...]
) -> dict[str, AccountVerdictCode]:
    """The verdict code a full scan over ``spec.regions`` must give each scanned account.

    Written from the contract's words, apart from the scanner: a region is protected when a
    trail records the account (its own, or the organization trail) and the region, is logging,
    records all management events (none excluded), delivers, records global service events in
    us-east-1 and passes; NOT_RECORDED beats UNPROTECTED, which beats
    UNKNOWN: a region an SCP denies that no trail protects (``trails`` holds only trails the
    scan can see).
    """
    verdicts: dict[str, AccountVerdictCode] = {}
    for account in spec.all_accounts:
        if not account.in_organization or account.closed:
            continue
        account_id = ids[account.name]
        codes = set()
        for region in spec.regions:
            recording = [
                t
                for t in trails
                if (t.account_id == account_id or t.is_organization_trail)
                and (t.is_multi_region or t.home_region == region)
                and t.is_logging
                and t.management_events is ManagementEvents.ALL
                and t.delivering
                and (t.global_events or region != "us-east-1")
            ]
            passing = [t for t in recording if t.expected_reason is ReasonCode.COMPLIANT]
            if region in account.scp_denied_regions:
                if not passing:  # not read: only a trail known from elsewhere can vouch
                    codes.add(AccountVerdictCode.UNKNOWN)
            elif not recording:
                codes.add(AccountVerdictCode.NOT_RECORDED)
            elif all(t.expected_reason is not ReasonCode.COMPLIANT for t in recording):
                codes.add(AccountVerdictCode.UNPROTECTED)
        verdicts[account_id] = next(
            (
                code
                for code in (
                    AccountVerdictCode.NOT_RECORDED,
                    AccountVerdictCode.UNPROTECTED,
                    AccountVerdictCode.UNKNOWN,
                )
                if code in codes
            ),
            AccountVerdictCode.PROTECTED,
        )
    return verdicts
