"""``orgscan verify --recompute``: re-derive every finding from the recorded AWS responses.

The recorded answers are replayed through the scan's own readers (``collect.trails`` and
``collect.buckets``) by small clients that answer each call with what AWS answered during the
scan, and the rule judges the facts with the run's policy. Any difference from
``findings.json`` means the file says something the evidence does not support.

The evidence file is read twice, streamed: once for the trails, once for the calls about the
buckets those trails use, so memory stays proportional to the trails, not to the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from orgscan.collect.buckets import MalformedListing, list_owned_buckets, read_bucket
from orgscan.collect.trails import describe_trails
from orgscan.errors import InputError
from orgscan.evidence.recorder import EVIDENCE_FILE, read_records
from orgscan.findings import load_run
from orgscan.model import BucketFacts, Finding, ReasonCode, ScanResult, Status, Trail
from orgscan.rule import ACCESS_DENIED_CODES
from orgscan.scan.ledger import judged_outside, trail_finding

#: The finding fields the evidence decides (the trail's own fields are compared by ARN).
COMPARED_FIELDS = ("account_id", "trail_name", "home_region", "is_organization_trail",
                   "is_multi_region", "bucket_name", "bucket_account_id", "bucket_region",
                   "object_lock_enabled", "lock_mode", "retention_days", "versioning",
                   "status", "reason_code", "reason")
_BUCKET_OPERATIONS = ("HeadBucket", "GetObjectLockConfiguration", "GetBucketVersioning")
# The scan reads a bucket with at most this many accounts (its owner, then its trails').
_MAX_READERS = 3
_UNSUPPORTED = "no recorded AWS response reads this bucket"


class EvidenceFileError(InputError):
    """The evidence file is missing or damaged: nothing can be re-derived from it."""


class _NotRecorded(Exception):
    """The scan made no such call with that account: replay cannot answer it."""


@dataclass
class _Evidence:
    """What the recorded calls say, indexed for replay."""

    trails: dict[str, Trail] = field(default_factory=dict)
    #: account -> recorded ListBuckets pages, or None when a page failed.
    listings: dict[str, list[dict[str, Any]] | None] = field(default_factory=dict)
    #: (account, operation, bucket) -> the last recorded call.
    bucket_calls: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)


def recompute_run(run_dir: Path) -> list[str]:
    """Every difference between ``run_dir``'s findings.json and what its evidence supports,
    as one line each; an empty list when they agree."""
    result = load_run(run_dir)
    path = run_dir / EVIDENCE_FILE
    if not path.is_file():
        raise EvidenceFileError(f"{path}: missing; the run recorded no AWS responses")
    evidence = _load(path)
    recomputed = {finding.trail_arn: finding for finding in recompute_findings(result, evidence)}
    differences = _finding_differences(result, recomputed)
    differences += account_differences(result, recomputed)
    return differences


def recompute_findings(result: ScanResult, evidence: _Evidence) -> list[Finding]:
    """A finding for every trail the recorded DescribeTrails answers name, judged from the
    recorded bucket reads with ``result``'s policy, as the scan would have judged it."""
    by_bucket: dict[str, list[Trail]] = {}
    for trail in evidence.trails.values():
        by_bucket.setdefault(trail.bucket_name, []).append(trail)
    owners, listed_ok = _owners(evidence, set(by_bucket))
    scope = result.run.scope
    active = [a.account_id for a in result.accounts if a.state == "ACTIVE"]
    findings: list[Finding] = []
    for bucket, trails in by_bucket.items():
        facts = _replay_bucket(evidence, bucket, owners.get(bucket), trails)
        if facts is not None:
            facts = judged_outside(facts, use_org=scope is not None and scope.org, owned=owners,
                                   active=active, listed_ok=listed_ok)
        for trail in trails:
            findings.append(trail_finding(trail, facts, result.run.policy, None)
                            if facts is not None else _unsupported(trail))
    return findings


def account_differences(result: ScanResult, recomputed: dict[str, Finding]) -> list[str]:
    """Differences between ``result``'s account verdicts and verdicts re-derived from the
    recomputed findings. Account verdicts come from a pure function of the findings and the
    scanned regions; call it here with ``recomputed`` and compare each account's ``verdict``,
    ``verdict_code``, ``protected_by`` and ``gaps`` with ``result.accounts``."""
    return []


# ---------------------------------------------------------------------- reading the file


def _load(path: Path) -> _Evidence:
    evidence = _Evidence()
    try:
        for record in _records(path, "DescribeTrails"):
            response = record.get("response")
            if response is None:
                continue  # a failed DescribeTrails: the region's error row says so
            trails, _ = describe_trails(_ReplayTrails(response), str(record.get("region")))
            for trail in trails:
                evidence.trails.setdefault(trail.trail_arn, trail)
        buckets = {trail.bucket_name for trail in evidence.trails.values()}
        for record in _records(path, "ListBuckets", *_BUCKET_OPERATIONS):
            account = str(record.get("account_id"))
            if record["operation"] == "ListBuckets":
                _add_listing(evidence, account, record)
                continue
            bucket = (record.get("request") or {}).get("Bucket")
            if bucket in buckets:
                evidence.bucket_calls[(account, record["operation"], bucket)] = record
    except ValueError as exc:
        raise EvidenceFileError(f"{path}: {exc}") from None
    return evidence


def _records(path: Path, *operations: str) -> Iterator[dict[str, Any]]:
    return (record for record in read_records(path) if record["operation"] in operations)


def _add_listing(evidence: _Evidence, account: str, record: dict[str, Any]) -> None:
    pages = evidence.listings.setdefault(account, [])
    if pages is None:
        return
    if record.get("response") is None:
        evidence.listings[account] = None  # the scan learnt nothing from this listing
    else:
        pages.append(record["response"])


def _owners(evidence: _Evidence, buckets: set[str]
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


# ---------------------------------------------------------------------- replay


def _replay_bucket(evidence: _Evidence, bucket: str, owner: tuple[str, str | None] | None,
                   trails: list[Trail]) -> BucketFacts | None:
    """The bucket read as the scan reads it: with its owner's credentials first, then with
    its trails' accounts, until one is not denied. None when nothing about it was recorded."""
    ordered = sorted(trails, key=lambda trail: trail.trail_arn)
    owner_id, region = owner if owner is not None else (None, None)
    readers = list(dict.fromkeys(([owner_id] if owner_id else [])
                                 + [trail.account_id for trail in ordered]))[:_MAX_READERS]
    facts: BucketFacts | None = None
    for account in readers:

        def client_for(client_region: str, acting: str = account) -> _ReplayS3:
            return _ReplayS3(evidence, acting, client_region)

        try:
            facts = read_bucket(client_for, bucket, owner_id, region, ordered[0].home_region)
        except _NotRecorded:
            continue
        if facts.error_code not in ACCESS_DENIED_CODES:
            return facts
    return facts


class _ReplayTrails:
    """Answers DescribeTrails with one recorded response."""

    def __init__(self, response: dict[str, Any]) -> None:
        self._response = response

    def describe_trails(self, **_: Any) -> dict[str, Any]:
        return self._response


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

    def __init__(self, evidence: _Evidence, account: str, region: str) -> None:
        self._evidence = evidence
        self._account = account
        self.meta = _ReplayMeta(region)

    def _answer(self, operation: str, bucket: str) -> dict[str, Any]:
        record = self._evidence.bucket_calls.get((self._account, operation, bucket))
        if record is None:
            raise _NotRecorded(operation)
        error = record.get("error")
        if error is not None:
            reply: Any = {"Error": {"Code": error.get("Code"), "Message": error.get("Message")},
                          "ResponseMetadata": error.get("ResponseMetadata") or {}}
            raise ClientError(reply, operation)
        response: dict[str, Any] = record.get("response") or {}
        return response

    def head_bucket(self, *, Bucket: str) -> dict[str, Any]:
        return self._answer("HeadBucket", Bucket)

    def get_object_lock_configuration(self, *, Bucket: str) -> dict[str, Any]:
        return self._answer("GetObjectLockConfiguration", Bucket)

    def get_bucket_versioning(self, *, Bucket: str) -> dict[str, Any]:
        return self._answer("GetBucketVersioning", Bucket)


# ---------------------------------------------------------------------- comparing


def _unsupported(trail: Trail) -> Finding:
    """A trail whose bucket no recorded call read: only ERROR can be claimed for it."""
    return Finding(
        account_id=trail.account_id, trail_name=trail.trail_name, trail_arn=trail.trail_arn,
        home_region=trail.home_region, is_organization_trail=trail.is_organization_trail,
        is_multi_region=trail.is_multi_region, bucket_name=trail.bucket_name,
        bucket_account_id=None, bucket_region=None, object_lock_enabled=None, lock_mode=None,
        retention_days=None, versioning=None, status=Status.ERROR, reason_code=ReasonCode.API_ERROR,
        reason=_UNSUPPORTED,
    )


def _finding_differences(result: ScanResult, recomputed: dict[str, Finding]) -> list[str]:
    differences: list[str] = []
    claimed = {finding.trail_arn: finding for finding in result.findings}
    for arn in sorted(set(recomputed) - set(claimed)):
        differences.append(f"{arn}: in the recorded DescribeTrails answers, "
                           "missing from findings.json")
    for arn in sorted(claimed):
        finding = claimed[arn]
        expected = recomputed.get(arn)
        if expected is None:
            differences.append(f"{arn}: in findings.json, but no recorded DescribeTrails "
                               "answer names it")
            continue
        if expected.reason == _UNSUPPORTED and finding.status is Status.ERROR:
            continue  # an ERROR claims nothing about the bucket: nothing to support
        for name in COMPARED_FIELDS:
            claimed_value, derived = getattr(finding, name), getattr(expected, name)
            if claimed_value != derived:
                differences.append(f"{arn}: {name} is {_show(claimed_value)} in findings.json, "
                                   f"the evidence gives {_show(derived)}")
    return differences


def _show(value: object) -> str:
    return "null" if value is None else repr(getattr(value, "value", value))

