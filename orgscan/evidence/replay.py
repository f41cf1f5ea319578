"""Replaying the recorded answers through the scan's own readers.

Small clients answer each call with what AWS answered during the scan (``collect.trails`` and
``collect.buckets`` read them as they read AWS); a call the scan did not make fails.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from botocore.exceptions import ClientError

from orgscan.collect.buckets import MalformedListing, list_owned_buckets, read_bucket
from orgscan.collect.integrity import read_account_block, read_key
from orgscan.error_codes import ACCESS_DENIED_CODES
from orgscan.evidence.evidence_file import RecordedEvidence
from orgscan.facts import AwsError, BucketFacts, KeyFacts, Trail
from orgscan.integrity import IntegrityReads
from orgscan.scan.integrity_reads import KEY_REFUSED, key_readers
from orgscan.scan.units import MAX_READ_CANDIDATES


class NotRecorded(Exception):
    """The scan made no such call with that account: replay cannot answer it."""


def recorded_owners(
    evidence: RecordedEvidence, buckets: set[str]
) -> tuple[dict[str, tuple[str, str | None]], set[str]]:
    """The owner (and region) of each of ``buckets`` some recorded listing names, and the
    accounts whose listing succeeded, as the scan learnt them."""
    owners: dict[str, tuple[str, str | None]] = {}
    listed_ok: set[str] = set()
    for account in sorted(evidence.listings):
        pages = evidence.listings[account]
        if pages is None:
            continue
        try:
            owned = list_owned_buckets(_ReplayListing(pages))
        except MalformedListing:
            continue  # the scan learnt nothing from this listing either
        listed_ok.add(account)
        for bucket, region in owned.items():
            if bucket in buckets:
                owners.setdefault(bucket, (account, region))
    return owners, listed_ok


def replay_bucket(
    evidence: RecordedEvidence,
    bucket: str,
    owner: tuple[str, str | None] | None,
    trails: list[Trail],
) -> BucketFacts | None:
    """The bucket read as the scan reads it: with its owner's credentials first, then with
    its trails' accounts, until one is not denied. None when nothing about it was recorded."""
    ordered = sorted(trails, key=lambda trail: trail.trail_arn)
    owner_id, region = owner if owner is not None else (None, None)
    readers = list(
        dict.fromkeys(([owner_id] if owner_id else []) + [trail.account_id for trail in ordered])
    )[:MAX_READ_CANDIDATES]
    facts: BucketFacts | None = None
    for account in readers:

        def client_for(client_region: str, acting: str = account) -> _ReplayS3:
            return _ReplayS3(evidence, acting, client_region)

        try:
            facts = read_bucket(client_for, bucket, owner_id, region, ordered[0].home_region)
        except NotRecorded:
            continue
        if facts.error_code not in ACCESS_DENIED_CODES:
            return facts
    return facts


class ReplayHealth:
    """Answers GetTrailStatus and GetEventSelectors with what AWS answered the scan; a call
    the scan did not make (or that failed before AWS answered) fails, as it did then."""

    def __init__(self, evidence: RecordedEvidence) -> None:
        self._calls = evidence.health_calls

    def _answer(self, operation: str, trail_arn: str) -> dict[str, Any]:
        record = self._calls.get((operation, trail_arn))
        return replayed(record, operation)

    def get_trail_status(self, *, Name: str) -> dict[str, Any]:
        return self._answer("GetTrailStatus", Name)

    def get_event_selectors(self, *, TrailName: str) -> dict[str, Any]:
        return self._answer("GetEventSelectors", TrailName)


def replayed(record: Mapping[str, Any] | None, operation: str) -> dict[str, Any]:
    """The recorded answer, or the recorded error raised as botocore raised it."""
    if record is None:
        raise ClientError(
            {"Error": {"Code": "NotRecorded", "Message": "no recorded response"}}, operation
        )
    error = record.get("error")
    if error is not None:
        reply: Any = {
            "Error": {"Code": error.get("Code"), "Message": error.get("Message")},
            "ResponseMetadata": error.get("ResponseMetadata") or {},
        }
        raise ClientError(reply, operation)
    response: dict[str, Any] = record.get("response") or {}
    return response


class _ReplayListing:
    """Answers ListBuckets, page by page, with an account's recorded pages."""

    def __init__(self, pages: list[dict[str, Any]]) -> None:
        self._pages = pages

    def get_paginator(self, _: str) -> _ReplayListing:
        return self

    def paginate(self, **_: Any) -> Iterator[dict[str, Any]]:
        return iter(self._pages)


class _ReplayMeta:
    def __init__(self, region: str) -> None:
        self.region_name = region


class _ReplayS3:
    """Answers the bucket reads of one account with what AWS answered it during the scan."""

    def __init__(self, evidence: RecordedEvidence, account: str, region: str) -> None:
        self._evidence = evidence
        self._account = account
        self.meta = _ReplayMeta(region)

    def _answer(self, operation: str, bucket: str) -> dict[str, Any]:
        record = self._evidence.bucket_calls.get((self._account, operation, bucket))
        if record is None:
            raise NotRecorded(operation)
        return replayed(record, operation)

    def head_bucket(self, *, Bucket: str) -> dict[str, Any]:
        return self._answer("HeadBucket", Bucket)

    def get_object_lock_configuration(self, *, Bucket: str) -> dict[str, Any]:
        return self._answer("GetObjectLockConfiguration", Bucket)

    def get_bucket_versioning(self, *, Bucket: str) -> dict[str, Any]:
        return self._answer("GetBucketVersioning", Bucket)

    def _integrity_answer(self, operation: str, bucket: str) -> dict[str, Any]:
        # An integrity read the scan did not record (a run from before contract 5.2) leaves
        # that check unread, not the bucket's lock.
        record = self._evidence.bucket_calls.get((self._account, operation, bucket))
        return replayed(record, operation)

    def get_bucket_lifecycle_configuration(self, *, Bucket: str) -> dict[str, Any]:
        return self._integrity_answer("GetBucketLifecycleConfiguration", Bucket)

    def get_bucket_policy_status(self, *, Bucket: str) -> dict[str, Any]:
        return self._integrity_answer("GetBucketPolicyStatus", Bucket)

    def get_public_access_block(self, *, Bucket: str) -> dict[str, Any]:
        return self._integrity_answer("GetPublicAccessBlock", Bucket)


class _ReplayKms:
    """Answers one account's key reads with what KMS answered it during the scan."""

    def __init__(self, evidence: RecordedEvidence, account: str) -> None:
        self._calls = evidence.key_calls
        self._account = account

    def describe_key(self, *, KeyId: str) -> dict[str, Any]:
        return replayed(self._calls.get((self._account, "DescribeKey", KeyId)), "DescribeKey")

    def get_key_rotation_status(self, *, KeyId: str) -> dict[str, Any]:
        operation = "GetKeyRotationStatus"
        return replayed(self._calls.get((self._account, operation, KeyId)), operation)


class _ReplayS3Control:
    """Answers an account's own Block Public Access read as s3control answered it."""

    def __init__(self, evidence: RecordedEvidence) -> None:
        self._calls = evidence.account_calls

    def get_public_access_block(self, *, AccountId: str) -> dict[str, Any]:
        return replayed(self._calls.get((AccountId, AccountId)), "GetPublicAccessBlock")


def replay_integrity(
    evidence: RecordedEvidence, trails: list[Trail], owners: set[str]
) -> IntegrityReads:
    """The trails' keys and the bucket ``owners``' Block Public Access as the scan read them:
    a key with its owner first, then with the accounts of its trails, until one answered
    without refusing; an account's block as itself. What was not recorded stays unread."""
    users: dict[str, set[str]] = {}
    for trail in trails:
        if trail.kms_key_id:
            users.setdefault(trail.kms_key_id, set()).add(trail.account_id)
    keys: dict[str, KeyFacts] = {}
    for key, accounts in users.items():
        keys[key] = KeyFacts(key, None, None, AwsError("NotRecorded", "no recorded response"))
        for account in key_readers(key, tuple(sorted(accounts))):
            if (account, "DescribeKey", key) not in evidence.key_calls:
                continue  # the scan could not ask as this account (its role, say)
            keys[key] = read_key(_ReplayKms(evidence, account), key)
            error = keys[key].error
            if error is None or error.code not in KEY_REFUSED:
                break
    blocks = {owner: read_account_block(_ReplayS3Control(evidence), owner) for owner in owners}
    return IntegrityReads(keys, blocks)
