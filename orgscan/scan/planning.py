"""Before a scan: who is calling, which accounts and regions, and is the request sound.

Everything here may raise ``InputError`` (exit 2) or ``AwsUnavailableError`` (exit 3): it runs
before the run folder exists, so nothing is written when it does.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime

from botocore.exceptions import BotoCoreError, ClientError

from orgscan.aws.organization import Organization, discover_organization, select_accounts
from orgscan.aws.regions import REGIONAL_SERVICES, in_partition
from orgscan.aws.sessions import CallerIdentity, SessionFactory
from orgscan.config import ScanSettings
from orgscan.error_codes import TRANSIENT_CODES
from orgscan.errors import AwsUnavailableError, InputError
from orgscan.facts import Account, AwsError
from orgscan.model import AccountState


def utc_now() -> datetime:
    """The current time in UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    """``2026-11-27T09:04:11Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class ScanPlan:
    """What a scan will cover, decided before any report is written."""

    settings: ScanSettings
    identity: CallerIdentity
    organization: Organization
    in_scope: frozenset[str]
    partition_regions: tuple[str, ...]


def plan_scan(settings: ScanSettings, sessions: SessionFactory, executor: Executor) -> ScanPlan:
    """Identify the caller, discover the accounts and check the requested scope.

    Raises ``InputError`` (exit 2) for unknown regions, accounts or OUs, missing credentials or
    an organization the caller may not read.
    """
    identity = sessions.identify()
    partition_regions = _partition_regions(sessions, identity.partition)
    # A region newer than botocore's static list is known by its name's partition.
    unknown = [
        region
        for region in (*settings.regions, *settings.denied_regions)
        if not in_partition(region, identity.partition, partition_regions)
    ]
    if unknown:
        raise InputError(f"unknown region for partition {identity.partition}: {', '.join(unknown)}")
    if settings.use_org:
        organization = _discover(sessions, identity, executor)
    else:
        organization = Organization(
            organization_id=None,
            management_account_id=None,
            accounts=(Account(identity.account_id, None, None, AccountState.ACTIVE),),
        )
        if settings.accounts and set(settings.accounts) != {identity.account_id}:
            raise InputError(f"--no-org scans only the caller's account {identity.account_id}")
    chosen = select_accounts(
        organization, settings.accounts, settings.exclude_accounts, settings.ous
    )
    return ScanPlan(
        settings=settings,
        identity=identity,
        organization=organization,
        in_scope=chosen,
        partition_regions=tuple(partition_regions),
    )


def _partition_regions(sessions: SessionFactory, partition: str) -> list[str]:
    regions: set[str] | None = None
    for service in REGIONAL_SERVICES:
        known = set(sessions.available_regions(service, partition))
        regions = known if regions is None else regions & known
    return sorted(regions or ())


def _discover(
    sessions: SessionFactory, identity: CallerIdentity, executor: Executor
) -> Organization:
    client = sessions.client(identity.account_id, "organizations", sessions.default_region)
    try:
        return discover_organization(client, executor)
    except (ClientError, BotoCoreError) as exc:
        error = AwsError.of(exc)
        code, message = error.code, error.message
        if code == "AWSOrganizationsNotInUseException":
            raise InputError(
                "the caller's account is not in an organization; use --no-org to scan it alone"
            ) from None
        if code in TRANSIENT_CODES or not isinstance(exc, ClientError):
            raise AwsUnavailableError(
                f"cannot read the organization ({code}: {message}); try again later"
            ) from None
        raise InputError(
            f"cannot read the organization ({code}: {message}); run from the "
            "management account or a delegated administrator, or use --no-org"
        ) from None
