"""Buckets: who owns which (``ListBuckets``) and what one bucket's Object Lock looks like."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from orgscan.collect.integrity import read_bucket_integrity
from orgscan.error_codes import LOCK_NOT_FOUND
from orgscan.facts import AwsError, BucketFacts
from orgscan.model import LockMode, Versioning

# HeadBucket has no body, so its errors carry only the HTTP status as the code.
_HEAD_CODES = {
    "404": "NoSuchBucket",
    "NotFound": "NoSuchBucket",
    "403": "AccessDenied",
    "Forbidden": "AccessDenied",
    "301": "PermanentRedirect",
}
# Refusals S3 gives only for a bucket that exists: it is another account's (HeadBucket's 403),
# all access to it is disabled, or it lives in another region (HeadBucket's 301).
_EXISTING_BUCKET_CODES = frozenset({"AccessDenied", "AllAccessDisabled", "PermanentRedirect"})

ClientForRegion = Callable[[str], Any]


class MalformedListing(ValueError):
    """A ``ListBuckets`` reply that does not list the account's buckets."""


#: Buckets per ``ListBuckets`` page (the API's maximum is 10,000).
LIST_PAGE_SIZE = 1000


def list_owned_buckets(client: Any, page_size: int = LIST_PAGE_SIZE) -> dict[str, str | None]:
    """The account's buckets by name, with their region where ``ListBuckets`` tells it.

    Paged with ``MaxBuckets``: AWS includes ``BucketRegion`` only when the request has a
    parameter, and refuses an unpaged listing for accounts with a quota over 10,000 buckets.
    """
    owned: dict[str, str | None] = {}
    pages = client.get_paginator("list_buckets").paginate(PaginationConfig={"PageSize": page_size})
    for page in pages:
        if not isinstance(page.get("Buckets"), list):
            # An empty account answers an empty list; a reply without one proves nothing
            # about which buckets the account owns.
            raise MalformedListing("ListBuckets answered without a Buckets list")
        for bucket in page["Buckets"]:
            name = bucket.get("Name")
            if isinstance(name, str):
                owned[name] = bucket.get("BucketRegion") or None
    return owned


def read_bucket(
    client_for: ClientForRegion,
    bucket: str,
    owner: str | None,
    region: str | None,
    lookup_region: str,
    integrity: bool = True,
) -> BucketFacts:
    """Read the Object Lock configuration and versioning of ``bucket``, and with ``integrity``
    its lifecycle and public access (contract 5.2) once the lock was read.

    ``client_for(region)`` gives an S3 client with the credentials to use; ``region`` is the
    bucket's region when already known, else it is asked with ``HeadBucket`` from
    ``lookup_region``. Errors come back in ``BucketFacts.error``.
    """
    if region is None:
        try:
            region = _head_bucket_region(client_for(lookup_region), bucket)
        except (ClientError, BotoCoreError) as exc:
            error = AwsError.of(exc)
            code = _HEAD_CODES.get(error.code, error.code)
            return BucketFacts.unreadable(
                bucket, owner, _region_header(exc), AwsError(code, error.message)
            )
    client = client_for(region)
    try:
        lock = _object_lock(client, bucket)
    except (ClientError, BotoCoreError) as exc:
        return BucketFacts.unreadable(bucket, owner, region, AwsError.of(exc))
    versioning: Versioning | None
    versioning_error: AwsError | None = None
    mfa_delete: bool | None = None
    try:
        answer = client.get_bucket_versioning(Bucket=bucket)
        status = answer.get("Status")
        versioning = Versioning(status) if status in ("Enabled", "Suspended") else Versioning.OFF
        # S3 names MFADelete only once it was ever configured: absent is "not enabled".
        mfa_delete = answer.get("MFADelete") == "Enabled"
    except (ClientError, BotoCoreError) as exc:
        versioning, versioning_error = None, AwsError.of(exc)
    enabled, mode, days = lock
    return BucketFacts(
        bucket_name=bucket,
        bucket_account_id=owner,
        bucket_region=region,
        object_lock_enabled=enabled,
        lock_mode=mode,
        retention_days=days,
        versioning=versioning,
        # The lock was read, so the verdict stands; a versioning failure is only noted.
        versioning_error=versioning_error,
        mfa_delete=mfa_delete,
        integrity=read_bucket_integrity(client, bucket) if integrity else None,
    )


def known_to_exist(facts: BucketFacts) -> bool:
    """True when ``facts`` prove that the bucket exists: it was read, S3 named its region, or
    S3 refused it as it refuses only an existing bucket. A throttled or failing HeadBucket, a
    name botocore would not send (``ParamValidationError``) or a broken connection tells
    nothing: such a bucket may or may not exist, so it cannot be judged outside anything."""
    return (
        facts.error_code is None
        or facts.bucket_region is not None
        or _HEAD_CODES.get(facts.error_code, facts.error_code) in _EXISTING_BUCKET_CODES
    )


def _head_bucket_region(client: Any, bucket: str) -> str:
    reply = client.head_bucket(Bucket=bucket)
    headers = reply.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    region = reply.get("BucketRegion") or headers.get("x-amz-bucket-region")
    return str(region) if region else str(client.meta.region_name)


def _region_header(exc: ClientError | BotoCoreError) -> str | None:
    if isinstance(exc, ClientError):
        headers = exc.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        region = headers.get("x-amz-bucket-region")
        return str(region) if region else None
    return None


def _object_lock(client: Any, bucket: str) -> tuple[bool, LockMode | None, int | None]:
    """(enabled, default mode, default retention days); Years count as 365 days, 0 as unset."""
    try:
        config = client.get_object_lock_configuration(Bucket=bucket)
    except ClientError as exc:
        if AwsError.of(exc).code == LOCK_NOT_FOUND:
            return False, None, None
        raise
    lock = config.get("ObjectLockConfiguration") or {}
    enabled = lock.get("ObjectLockEnabled") == "Enabled"
    retention = (lock.get("Rule") or {}).get("DefaultRetention") or {}
    raw_mode = retention.get("Mode")
    mode = LockMode(raw_mode) if raw_mode in ("GOVERNANCE", "COMPLIANCE") else None
    days = retention.get("Days") or 0
    years = retention.get("Years") or 0
    total = int(days) if days else int(years) * 365
    return enabled, mode, (total or None) if mode is not None else None
