"""An organization's description (``OrgSpec``) indexed the way the in-process responder
(``orgscan.simulate.fakeaws``) looks things up: accounts by id, buckets by name, OUs by path and
their children, trails by ARN with their owner."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse

from orgscan.simulate.build_integrity import KeySpec
from orgscan.simulate.spec import (
    ROOT_PATH,
    AccountSpec,
    BucketSpec,
    OrgSpec,
    TrailSpec,
)

ORGANIZATION_ID = "o-fakeaws001"
ROOT_ID = "r-fake"


@dataclass(frozen=True)
class FakeBucket:
    """An existing bucket and the id of the account that owns it."""

    owner: str
    spec: BucketSpec


@dataclass(frozen=True)
class FakeTrail:
    """A trail and its ARN."""

    arn: str
    spec: TrailSpec


@dataclass(frozen=True)
class FakeIndex:
    """What the responder answers from; built once by ``index_org``, never changed."""

    spec: OrgSpec
    management_id: str
    ids: dict[str, str]  # account name -> id
    accounts: dict[str, AccountSpec]  # account id -> account
    buckets: dict[str, FakeBucket]  # existing buckets (not deleted) by name
    ou_ids: dict[str, str]  # OU path -> id, the root included
    children: dict[str, tuple[list[str], list[str]]]  # OU id -> (child OU ids, account ids)
    org_trails: list[FakeTrail]  # the management account's organization trails
    trails: dict[str, tuple[str, TrailSpec]]  # every trail by ARN, with its owner's id
    #: When every logging trail last delivered (epoch seconds): when the index was built, so
    #: that, as in moto, it is a moment before any scan, and every scan sees the same time.
    delivered_at: float = field(default_factory=lambda: float(int(time.time())))
    #: The trails' KMS keys by ARN (``fake_key_arn``).
    keys: dict[str, KeySpec] = field(default_factory=dict)


#: One operation's answer: the index, the request, and the id of the account that signed it.
Answer = Callable[[FakeIndex, Any, str], AWSResponse]


def index_org(spec: OrgSpec, management_id: str) -> FakeIndex:
    """Index ``spec``, the management account having ``management_id``."""
    ids = _account_ids(spec, management_id)
    ou_ids = {ROOT_PATH: ROOT_ID} | {
        path: f"ou-fake-{index:08d}" for index, path in enumerate(spec.ou_paths, 1)
    }
    children: dict[str, tuple[list[str], list[str]]] = {ou: ([], []) for ou in ou_ids.values()}
    for path, ou in ou_ids.items():
        if path != ROOT_PATH:
            children[ou_ids[path.rpartition("/")[0]]][0].append(ou)
    for account in spec.all_accounts:
        if account.in_organization:
            children[ou_ids[account.ou_path]][1].append(ids[account.name])
    return FakeIndex(
        spec=spec,
        management_id=management_id,
        ids=ids,
        accounts={ids[a.name]: a for a in spec.all_accounts},
        buckets={
            bucket.name: FakeBucket(ids[account.name], bucket)
            for account in spec.all_accounts
            for bucket in account.buckets
            if not bucket.deleted
        },
        ou_ids=ou_ids,
        children=children,
        org_trails=[
            FakeTrail(f"arn:aws:cloudtrail:{t.home_region}:{management_id}:trail/{t.name}", t)
            for t in spec.management.trails
            if t.organization
        ],
        # Every trail by ARN, with its owner: only the owner reads its status and selectors.
        trails={
            f"arn:aws:cloudtrail:{t.home_region}:{ids[a.name]}:trail/{t.name}": (ids[a.name], t)
            for a in spec.all_accounts
            for t in a.trails
        },
        keys={
            fake_key_arn(ids[a.name], t.home_region, t.kms_key.name): t.kms_key
            for a in spec.all_accounts
            for t in a.trails
            if t.kms_key is not None
        },
    )


def fake_key_arn(account_id: str, region: str, name: str) -> str:
    """The ARN the responder gives a trail's key: fixed by its account, region and name."""
    return f"arn:aws:kms:{region}:{account_id}:key/{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def _account_ids(spec: OrgSpec, management_id: str) -> dict[str, str]:
    """Account name → a 12-digit id: the management's, then members in order (or fixed ids)."""
    ids = {spec.management.name: management_id}
    for index, account in enumerate(spec.members, 1):
        ids[account.name] = account.fixed_id or f"{200000000000 + index:012d}"
    return ids
