"""Turn an ``OrgSpec`` into moto state, the way an administrator would build it in AWS.

The management account works with the caller's own credentials; every other account is entered
with ``sts.assume_role`` into ``OrganizationAccountAccessRole`` (moto keeps resources apart per
account by those credentials). Clients come from a ``ClientMaker`` so callers decide how they are
created; the default uses a ``SessionFactory``, so ``AWS_ENDPOINT_URL`` (a moto server) is
honoured like everywhere else in orgscan.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import botocore.credentials
from botocore.exceptions import ClientError

from orgscan.aws.sessions import AccountClient, SessionFactory
from orgscan.errors import InputError
from orgscan.model import ManagementEvents
from orgscan.simulate.build_integrity import (
    bucket_policy,
    build_account_block,
    build_bucket_integrity,
    build_key,
)
from orgscan.simulate.logfiles import log_keys
from orgscan.simulate.spec import (
    ROOT_PATH,
    AccountSpec,
    BucketSpec,
    OrgSpec,
    SimulatedOrg,
    TrailSpec,
    basic_selector,
    expected_trails,
    expected_verdicts,
    trail_arn,
)

if TYPE_CHECKING:
    from mypy_boto3_cloudtrail import CloudTrailClient
    from mypy_boto3_organizations import OrganizationsClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import DefaultRetentionTypeDef
    from mypy_boto3_sts import STSClient

#: moto answers every request made with unknown credentials as this account.
MOTO_DEFAULT_ACCOUNT_ID = "123456789012"
ACCESS_ROLE_NAME = "OrganizationAccountAccessRole"
#: The region whose S3 endpoint creates buckets in any region (with a LocationConstraint).
GLOBAL_S3_REGION = "us-east-1"


@dataclass(frozen=True)
class Credentials:
    """Temporary credentials of one account, as ``sts.assume_role`` returns them."""

    access_key_id: str
    secret_access_key: str
    session_token: str


#: ``(service, region, credentials or None for the caller's own) -> boto3 client``.
ClientMaker = Callable[[str, str, Credentials | None], Any]


class Boto3ClientMaker:
    """The default ``ClientMaker``: the shared clients of one ``SessionFactory``.

    Every account's calls go through the one client of a (service, region), each signed with
    the account's own credentials, as in a scan: creating a client costs more than the few
    calls a build makes with it.
    """

    def __init__(self, sessions: SessionFactory | None = None) -> None:
        """Use ``sessions`` (default: a new factory, three attempts per call)."""
        self._sessions = sessions or SessionFactory(max_attempts=3)

    def __call__(self, service: str, region: str, credentials: Credentials | None) -> Any:
        """A client for ``service`` in ``region`` acting with ``credentials`` (or the caller's)."""
        shared = self._sessions.shared_client(service, region)
        if credentials is None:
            return shared
        keys = botocore.credentials.Credentials(
            credentials.access_key_id, credentials.secret_access_key, credentials.session_token
        )
        return AccountClient(shared, keys)


class _AccountClients:
    """The clients of one account, made on first use and kept while that account is built."""

    def __init__(self, maker: ClientMaker, credentials: Credentials | None) -> None:
        self._maker = maker
        self._credentials = credentials
        self._cache: dict[tuple[str, str], Any] = {}

    def _get(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._cache:
            self._cache[key] = self._maker(service, region, self._credentials)
        return self._cache[key]

    def s3(self) -> S3Client:
        # One S3 client serves every region: buckets are created with a LocationConstraint and
        # S3 routes later requests to the bucket's region.
        return cast("S3Client", self._get("s3", GLOBAL_S3_REGION))

    def cloudtrail(self, region: str) -> CloudTrailClient:
        return cast("CloudTrailClient", self._get("cloudtrail", region))

    def iam(self) -> Any:
        # IAM is global: any region's client reaches it (no typed stubs for it are installed).
        return self._get("iam", GLOBAL_S3_REGION)

    def other(self, service: str, region: str) -> Any:
        """A client of a service the integrity checks read (KMS, s3control)."""
        return self._get(service, region)


def materialise(
    spec: OrgSpec,
    clients: ClientMaker | None = None,
) -> SimulatedOrg:
    """Build ``spec`` in moto and describe what was built.

    Account ids come from Organizations in the order of ``spec.members`` (deterministic once
    moto's random generator is seeded); everything after that (buckets, trails) uses names and
    ARNs derived from the spec.
    """
    maker = clients or Boto3ClientMaker()
    home = spec.home_region
    sts = cast("STSClient", maker("sts", home, None))
    caller = sts.get_caller_identity()["Account"]
    if caller != MOTO_DEFAULT_ACCOUNT_ID:
        # A safety net: building an organization must never happen in a real AWS account.
        raise InputError(
            f"the simulated organization is built only in moto (account {MOTO_DEFAULT_ACCOUNT_ID}),"
            f" but the credentials belong to account {caller}"
        )
    org = cast("OrganizationsClient", maker("organizations", home, None))
    try:
        organization = org.create_organization(FeatureSet="ALL")["Organization"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "AlreadyInOrganizationException":
            raise
        raise InputError(
            "moto already holds an organization: build the simulated one into a fresh mock"
        ) from exc
    ids = _create_accounts(org, spec)
    # Organizations names the management account itself (moto: "master"); report that name.
    management_name = org.describe_account(AccountId=caller)["Account"]["Name"]

    for account in spec.all_accounts:
        # In-process moto is CPU-bound under the GIL, so threads would not make this faster.
        credentials = None if account is spec.management else _assume(sts, ids[account.name])
        _build_resources(
            account, _AccountClients(maker, credentials), ids.get(account.name, caller)
        )
    _attach_scps(org, spec, ids)
    for account in spec.members:
        if account.closed and account.in_organization:
            org.close_account(AccountId=ids[account.name])
    return _describe(spec, organization["Id"], ids, management_name)


def _create_accounts(org: OrganizationsClient, spec: OrgSpec) -> dict[str, str]:
    """Create the OU tree and the member accounts; return account name → id (outside too)."""
    root_id = org.list_roots()["Roots"][0]["Id"]
    parent_ids = {ROOT_PATH: root_id}
    for path in spec.ou_paths:
        parent, _, name = path.rpartition("/")
        unit = org.create_organizational_unit(ParentId=parent_ids[parent], Name=name)
        parent_ids[path] = unit["OrganizationalUnit"]["Id"]
    management_id = org.describe_organization()["Organization"]["MasterAccountId"]
    ids = {spec.management.name: management_id}
    for account in spec.members:
        if not account.in_organization:
            if account.fixed_id is None:
                raise ValueError(f"{account.name}: an outside account needs a fixed id")
            ids[account.name] = account.fixed_id
            continue
        status = org.create_account(AccountName=account.name, Email=account.email)
        account_id = status["CreateAccountStatus"]["AccountId"]
        ids[account.name] = account_id
        if account.ou_path != ROOT_PATH:
            org.move_account(
                AccountId=account_id,
                SourceParentId=root_id,
                DestinationParentId=parent_ids[account.ou_path],
            )
    return ids


def _attach_scps(org: OrganizationsClient, spec: OrgSpec, ids: Mapping[str, str]) -> None:
    """Create each account's own SCPs and attach them to it (the AWS-managed allow-all stays
    at every level, as AWS attaches it)."""
    for account in spec.members:
        for scp in account.scps:
            created = org.create_policy(
                Content=scp.document,
                Description=scp.name,
                Name=scp.name,
                Type="SERVICE_CONTROL_POLICY",
            )
            policy_id = created["Policy"]["PolicySummary"]["Id"]
            org.attach_policy(PolicyId=policy_id, TargetId=ids[account.name])


def _assume(sts: STSClient, account_id: str) -> Credentials:
    role_arn = f"arn:aws:iam::{account_id}:role/{ACCESS_ROLE_NAME}"
    issued = sts.assume_role(RoleArn=role_arn, RoleSessionName="orgscan-simulate")["Credentials"]
    return Credentials(
        access_key_id=issued["AccessKeyId"],
        secret_access_key=issued["SecretAccessKey"],
        session_token=issued["SessionToken"],
    )


def _build_resources(account: AccountSpec, clients: _AccountClients, account_id: str) -> None:
    """Create one account's buckets and trails (then delete the buckets meant to be gone)."""
    s3 = clients.s3()
    for role in account.roles:
        iam = clients.iam()
        iam.create_role(RoleName=role.name, AssumeRolePolicyDocument=_TRUST_ACCOUNT)
        iam.put_role_policy(RoleName=role.name, PolicyName=role.name, PolicyDocument=role.document)
    if account.block_public_access:
        build_account_block(clients.other("s3control", GLOBAL_S3_REGION), account_id)
    for bucket in account.buckets:
        _create_bucket(s3, bucket)
        # moto refuses a default retention on a locked bucket that holds objects, and gives
        # every file put after it that retention: the files "before the lock" get it too, and
        # denials.prelock_files answers HeadObject for them without it, as AWS would.
        for key in log_keys(bucket, account_id):
            s3.put_object(Bucket=bucket.name, Key=key, Body=b"{}", ChecksumAlgorithm="SHA256")
        policy = bucket_policy(
            bucket.name,
            account_id,
            public=bucket.public,
            withholds_delivery=bucket.withholds_delivery,
        )
        build_bucket_integrity(
            s3, bucket.name, account_id, bucket.lifecycle_days, policy, bucket.block_public_access
        )
    own = {bucket.name for bucket in account.buckets}
    foreign = [trail for trail in account.trails if trail.bucket not in own]
    for trail in account.trails:
        if trail.bucket in own:
            _create_trail(clients, trail, trail.bucket)
    if foreign:
        _create_foreign_trails(account, clients, foreign)
    for bucket in account.buckets:
        if bucket.deleted:
            s3.delete_bucket(Bucket=bucket.name)


#: Roles of the simulation trust their own account (who may assume them is not what is shown).
_TRUST_ACCOUNT = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},'
    '"Action":"sts:AssumeRole"}]}'
)


def _create_foreign_trails(
    account: AccountSpec, clients: _AccountClients, trails: list[TrailSpec]
) -> None:
    """Create trails whose bucket belongs to another account, or to nobody.

    moto's CreateTrail insists the bucket is visible to the trail's own account, which is never
    the case for another account's bucket once cross-account S3 reads are denied (AWS instead
    checks the bucket policy). So each trail is created against a bucket of its own account (a
    short-lived one when the account has none), then pointed at its real bucket with
    UpdateTrail, which moto does not check.
    """
    s3 = clients.s3()
    staging = account.buckets[0].name if account.buckets else None
    if staging is None:
        staging = _staging_bucket_name(account.name)
        _create_bucket(s3, BucketSpec(name=staging, region=GLOBAL_S3_REGION))
    for trail in trails:
        cloudtrail = clients.cloudtrail(trail.home_region)
        _create_trail(clients, trail, staging)
        cloudtrail.update_trail(Name=trail.name, S3BucketName=trail.bucket)
    if not account.buckets:
        s3.delete_bucket(Bucket=staging)


def _staging_bucket_name(account_name: str) -> str:
    return f"{account_name[:40].lower()}-trail-staging"


def _create_bucket(s3: S3Client, bucket: BucketSpec) -> None:
    extra: dict[str, Any] = {}
    if bucket.region != GLOBAL_S3_REGION:
        # us-east-1 is the one region that refuses an explicit LocationConstraint.
        extra["CreateBucketConfiguration"] = {"LocationConstraint": bucket.region}
    s3.create_bucket(Bucket=bucket.name, ObjectLockEnabledForBucket=bucket.object_lock, **extra)
    if bucket.versioning and not bucket.object_lock:
        # Object Lock turns versioning on by itself.
        s3.put_bucket_versioning(Bucket=bucket.name, VersioningConfiguration={"Status": "Enabled"})
    retention = bucket.retention
    if retention is not None:
        default: DefaultRetentionTypeDef = {"Mode": retention.mode.value}
        if retention.days is not None:
            default["Days"] = retention.days
        else:
            default["Years"] = retention.years or 0
        s3.put_object_lock_configuration(
            Bucket=bucket.name,
            ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": default},
            },
        )


def _create_trail(clients: _AccountClients, trail: TrailSpec, bucket: str) -> None:
    cloudtrail = clients.cloudtrail(trail.home_region)
    key: dict[str, Any] = {}
    if trail.kms_key is not None:
        key["KmsKeyId"] = build_key(clients.other("kms", trail.home_region), trail.kms_key)
    cloudtrail.create_trail(
        Name=trail.name,
        S3BucketName=bucket,
        IsMultiRegionTrail=trail.multi_region,
        IsOrganizationTrail=trail.organization,
        IncludeGlobalServiceEvents=trail.global_events,
        EnableLogFileValidation=trail.log_file_validation,
        **key,
    )
    # Selectors are put explicitly: moto returns none for a trail never given any, where AWS
    # returns its default (all management events).
    if trail.management_events is ManagementEvents.NONE:
        cloudtrail.put_event_selectors(
            TrailName=trail.name,
            AdvancedEventSelectors=[
                {
                    "Name": "S3 data events only",
                    "FieldSelectors": [
                        {"Field": "eventCategory", "Equals": ["Data"]},
                        {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                    ],
                }
            ],
        )
    else:
        cloudtrail.put_event_selectors(
            TrailName=trail.name,
            EventSelectors=[cast(Any, basic_selector(trail.management_events))],
        )
    if trail.logging:
        cloudtrail.start_logging(Name=trail.name)


def _describe(
    spec: OrgSpec, organization_id: str, ids: dict[str, str], management_name: str
) -> SimulatedOrg:
    """The ``SimulatedOrg`` for what ``materialise`` built, expected verdicts included."""
    expected, skipped = expected_trails(spec, ids)
    in_org = [account for account in spec.all_accounts if account.in_organization]
    names = {account.name: account.name for account in in_org} | {
        spec.management.name: management_name
    }
    return SimulatedOrg(
        expected_verdicts=expected_verdicts(spec, ids, expected),
        organization_id=organization_id,
        management_account_id=ids[spec.management.name],
        log_archive_account_id=ids[spec.log_archive_name],
        accounts={names[account.name]: ids[account.name] for account in in_org},
        closed_account_ids=frozenset(ids[a.name] for a in in_org if a.closed),
        ou_paths={ids[account.name]: account.ou_path for account in in_org},
        trails=expected,
        regions=spec.regions,
        policy=spec.policy,
        skipped_trails=skipped,
        outside_accounts={
            account.name: ids[account.name]
            for account in spec.all_accounts
            if not account.in_organization
        },
        delivery_errors={
            trail_arn(ids[account.name], trail): trail.delivery_error
            for account in spec.all_accounts
            for trail in account.trails
            if trail.delivery_error is not None
        },
        scp_denied={
            ids[account.name]: account.scp_denied_regions
            for account in in_org
            if account.scp_denied_regions
        },
    )
