"""``orgscan verify --recompute``: re-derive every finding from the recorded AWS responses.

The recorded answers are replayed through the scan's own readers (``collect.trails`` and
``collect.buckets``) by small clients that answer each call with what AWS answered during the
scan, and the rule judges the facts with the run's policy. Any difference from
``findings.json`` means the file says something the evidence does not support.

The evidence file is read twice, streamed: once for the trails, once for the calls about the
buckets those trails use and the trails' health, so memory stays proportional to the trails,
not to the file.

Account verdicts are re-derived by ``verdicts.with_verdicts`` from the re-derived findings and
each scanned account's regions: those whose recorded DescribeTrails answer was read (scanned),
and those planned but not read (failed), which are the regions DescribeTrails was asked about
or an ``errors[]`` row names for the account (a region that is not enabled fails before any
call; an interrupted scan names every region it did not get to). A region whose DescribeTrails
call was refused without an error row was denied by an organization policy as configured
(``denied_regions``): neither scanned nor failed, as in the scan.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError
from botocore.model import ListShape, MapShape, Shape, ShapeResolver, StructureShape

from orgscan.aws.loader import new_session
from orgscan.collect.buckets import MalformedListing, list_owned_buckets, read_bucket
from orgscan.collect.trails import describe_trails, read_trail_health
from orgscan.error_codes import ACCESS_DENIED_CODES
from orgscan.errors import InputError
from orgscan.evidence.recorder import EVIDENCE_FILE, read_records
from orgscan.facts import BucketFacts, Trail
from orgscan.findings import load_run
from orgscan.jsondoc import typed_value
from orgscan.model import (
    AccountCoverage,
    AccountState,
    ErrorStage,
    Finding,
    ReasonCode,
    ScanResult,
    Status,
)
from orgscan.scan.ledger import judged_outside, trail_finding
from orgscan.verdicts import AccountRegions, with_verdicts

#: The finding fields the evidence decides (the trail's own fields are compared by ARN).
EVIDENCED_FIELDS = (
    "account_id",
    "trail_name",
    "home_region",
    "is_organization_trail",
    "is_multi_region",
    "bucket_name",
    "bucket_account_id",
    "bucket_region",
    "object_lock_enabled",
    "lock_mode",
    "retention_days",
    "versioning",
    "status",
    "reason_code",
    "reason",
    "is_logging",
    "latest_delivery_error",
    "management_events",
)
#: The account fields the evidence decides, through the findings and the regions read.
EVIDENCED_ACCOUNT_FIELDS = ("verdict", "verdict_code", "protected_by", "gaps")
_HEALTH_OPERATIONS = {"GetTrailStatus": "Name", "GetEventSelectors": "TrailName"}
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
    #: (operation, trail ARN) -> the last recorded GetTrailStatus / GetEventSelectors call.
    health_calls: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    #: account -> region -> whether a recorded DescribeTrails answer there was read in full
    #: (False: every recorded call failed, or an answer had entries that cannot be judged).
    trail_reads: dict[str, dict[str, bool]] = field(default_factory=dict)


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
    regions = account_regions(result, evidence)
    accounts = with_verdicts(result.accounts, list(recomputed.values()), regions)
    differences += account_differences(result.accounts, accounts)
    return differences


def recompute_findings(result: ScanResult, evidence: _Evidence) -> list[Finding]:
    """A finding for every trail the recorded DescribeTrails answers name, judged from the
    recorded bucket reads with ``result``'s policy, as the scan would have judged it."""
    by_bucket: dict[str, list[Trail]] = {}
    for trail in evidence.trails.values():
        by_bucket.setdefault(trail.bucket_name, []).append(trail)
    owners, listed_ok = _owners(evidence, set(by_bucket))
    scope = result.run.scope
    active = [a.account_id for a in result.accounts if a.state == AccountState.ACTIVE]
    findings: list[Finding] = []
    for bucket, trails in by_bucket.items():
        facts = _replay_bucket(evidence, bucket, owners.get(bucket), trails)
        if facts is not None:
            facts = judged_outside(
                facts,
                use_org=scope is not None and scope.org,
                owned=owners,
                active=active,
                listed_ok=listed_ok,
            )
        for trail in trails:
            health = read_trail_health(_ReplayHealth(evidence), trail.trail_arn)
            findings.append(
                trail_finding(trail, facts, result.run.policy, health)
                if facts is not None
                else _unsupported(trail)
            )
    return findings


def account_regions(result: ScanResult, evidence: _Evidence) -> dict[str, AccountRegions]:
    """The regions of each scanned account as the scan saw them: read, or planned and not
    read, from the recorded DescribeTrails calls and ``result``'s ``errors[]`` rows."""
    failed_rows: dict[str, set[str]] = {}
    for error in result.errors:
        if error.region is not None and error.stage in (ErrorStage.REGIONS, ErrorStage.TRAILS):
            failed_rows.setdefault(error.account_id, set()).add(error.region)
    regions: dict[str, AccountRegions] = {}
    for account in result.accounts:
        if not account.scanned:
            continue
        reads = evidence.trail_reads.get(account.account_id, {})
        rows = failed_rows.get(account.account_id, set())
        scanned = tuple(sorted(region for region, read in reads.items() if read))
        # A refused call with no error row was an expected organization-policy denial.
        failed = tuple(sorted(rows.difference(scanned)))
        regions[account.account_id] = AccountRegions(scanned=scanned, failed=failed)
    return regions


def account_differences(
    claimed: tuple[AccountCoverage, ...], derived: tuple[AccountCoverage, ...]
) -> list[str]:
    """One line per account field of ``claimed`` (findings.json) that ``derived`` (the
    verdicts re-derived from the evidence) does not support."""
    differences: list[str] = []
    by_id = {account.account_id: account for account in derived}
    for account in sorted(claimed, key=lambda a: a.account_id):
        expected = by_id[account.account_id]
        for name in EVIDENCED_ACCOUNT_FIELDS:
            claimed_value, value = getattr(account, name), getattr(expected, name)
            if claimed_value != value:
                differences.append(
                    f"account {account.account_id}: {name} is "
                    f"{_show(claimed_value)} in findings.json, the evidence "
                    f"gives {_show(value)}"
                )
    return differences


# ---------------------------------------------------------------------- reading the file


def _load(path: Path) -> _Evidence:
    evidence = _Evidence()
    try:
        for record in _records(path, "DescribeTrails"):
            region = record["region"]
            reads = evidence.trail_reads.setdefault(record["account_id"], {})
            response = record["response"]
            if response is None:
                reads.setdefault(region, False)  # the region's error row says why
                continue
            trails, malformed = describe_trails(_ReplayTrails(response), region)
            reads[region] = reads.get(region, False) or not malformed
            for trail in trails:
                evidence.trails.setdefault(trail.trail_arn, trail)
        buckets = {trail.bucket_name for trail in evidence.trails.values()}
        for record in _records(path, "ListBuckets", *_BUCKET_OPERATIONS, *_HEALTH_OPERATIONS):
            account = record["account_id"]
            operation = record["operation"]
            if operation in _HEALTH_OPERATIONS:
                arn = record["request"].get(_HEALTH_OPERATIONS[operation])
                if arn in evidence.trails:
                    evidence.health_calls[(operation, arn)] = record
                continue
            if operation == "ListBuckets":
                _add_listing(evidence, account, record, buckets)
                continue
            bucket = record["request"].get("Bucket")
            if bucket in buckets:
                evidence.bucket_calls[(account, operation, bucket)] = record
    except ValueError as exc:
        raise EvidenceFileError(f"{path}: {exc}") from None
    return evidence


def _records(path: Path, *operations: str) -> Iterator[dict[str, Any]]:
    """The records of ``operations``, each checked to hold what the replay reads with the types
    AWS answers with; ``ValueError`` naming the line otherwise."""
    for number, record in enumerate(read_records(path), start=1):
        if record["operation"] not in operations:
            continue
        try:
            _check_record(record)
        except TypeError as exc:
            raise ValueError(f"line {number}: {record['operation']}: {exc}") from None
        yield record


def _check_record(record: Mapping[str, Any]) -> None:
    """``TypeError`` naming the first value of ``record`` the replay would read that is not of
    the type botocore gives it: the request parameters the replay matches on, the answer as
    the operation's output shape in botocore's model describes it, and its metadata."""
    request = record["request"]
    for key in _REQUEST_KEYS:
        if key in request:
            typed_value(request, key, str)
    response, error = record["response"], record["error"]
    if response is not None:
        body = {key: value for key, value in response.items() if key != "ResponseMetadata"}
        _check_shape(body, _output_shape(record["operation"]), "response")
        metadata = response.get("ResponseMetadata", {})
    else:
        metadata = error["ResponseMetadata"] if error is not None else {}
    _check_shape(metadata, _METADATA, "ResponseMetadata")


#: The request parameters the replay matches recorded calls by.
_REQUEST_KEYS = ("Bucket", *_HEALTH_OPERATIONS.values())
_SERVICE_OF = {
    "DescribeTrails": "cloudtrail",
    "GetTrailStatus": "cloudtrail",
    "GetEventSelectors": "cloudtrail",
    "ListBuckets": "s3",
    **dict.fromkeys(_BUCKET_OPERATIONS, "s3"),
}
# How the recorder writes each scalar of botocore's model: timestamps as ISO text, blobs as
# base64 text. ``bool`` is an ``int`` in Python but never a number in the file.
_SCALAR_KINDS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "timestamp": (str,),
    "blob": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
}


@functools.cache
def _output_shape(operation: str) -> Shape:
    service = new_session().get_service_model(_SERVICE_OF[operation])
    shape = service.operation_model(operation).output_shape
    assert shape is not None  # every replayed operation answers with a structure
    return shape


_METADATA_SHAPES: dict[str, Any] = {
    "String": {"type": "string"},
    "Integer": {"type": "integer"},
    "Headers": {"type": "map", "key": {"shape": "String"}, "value": {"shape": "String"}},
}
#: The ``ResponseMetadata`` the recorder keeps (``_kept_metadata``), as a botocore shape.
_METADATA = StructureShape(
    "ResponseMetadata",
    {
        "type": "structure",
        "members": {
            "RequestId": {"shape": "String"},
            "HTTPStatusCode": {"shape": "Integer"},
            "HTTPHeaders": {"shape": "Headers"},
        },
    },
    ShapeResolver(_METADATA_SHAPES),
)


def _check_shape(value: Any, shape: Shape, where: str) -> None:
    """``TypeError`` unless ``value`` (parsed JSON) has the types ``shape`` gives it; members
    the model does not know are left to the readers, which do not read them."""
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        _check_kind(value, (dict,), where)
        for name, member in shape.members.items():
            if name in value:
                _check_shape(value[name], member, f"{where}.{name}")
    elif kind == "list":
        assert isinstance(shape, ListShape)
        _check_kind(value, (list,), where)
        for index, item in enumerate(value):
            _check_shape(item, shape.member, f"{where}[{index}]")
    elif kind == "map":
        assert isinstance(shape, MapShape)
        _check_kind(value, (dict,), where)
        for key, item in value.items():
            _check_shape(item, shape.value, f"{where}[{key!r:.40}]")
    else:
        _check_kind(value, _SCALAR_KINDS.get(kind, (str,)), where)


def _check_kind(value: Any, kinds: tuple[type, ...], where: str) -> None:
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        wanted = " or ".join("an object" if k is dict else k.__name__ for k in kinds)
        raise TypeError(f"{where} must be {wanted}, not {value!r:.60}")


def _add_listing(
    evidence: _Evidence, account: str, record: dict[str, Any], buckets: set[str]
) -> None:
    pages = evidence.listings.setdefault(account, [])
    if pages is None:
        return
    response = record["response"]
    if response is None:
        evidence.listings[account] = None  # the scan learnt nothing from this listing
    elif isinstance(response.get("Buckets"), list):
        # Only the buckets the trails use are kept: memory follows the trails, not the
        # listings (which a forged file can make as long as it likes).
        kept = [entry for entry in response["Buckets"] if entry.get("Name") in buckets]
        pages.append({**response, "Buckets": kept})
    else:
        pages.append(response)  # a page without a list: the listing proves nothing


def _owners(
    evidence: _Evidence, buckets: set[str]
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


def _replay_bucket(
    evidence: _Evidence, bucket: str, owner: tuple[str, str | None] | None, trails: list[Trail]
) -> BucketFacts | None:
    """The bucket read as the scan reads it: with its owner's credentials first, then with
    its trails' accounts, until one is not denied. None when nothing about it was recorded."""
    ordered = sorted(trails, key=lambda trail: trail.trail_arn)
    owner_id, region = owner if owner is not None else (None, None)
    readers = list(
        dict.fromkeys(([owner_id] if owner_id else []) + [trail.account_id for trail in ordered])
    )[:_MAX_READERS]
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


class _ReplayHealth:
    """Answers GetTrailStatus and GetEventSelectors with what AWS answered the scan; a call
    the scan did not make (or that failed before AWS answered) fails, as it did then."""

    def __init__(self, evidence: _Evidence) -> None:
        self._calls = evidence.health_calls

    def _answer(self, operation: str, trail_arn: str) -> dict[str, Any]:
        record = self._calls.get((operation, trail_arn))
        return _replayed(record, operation)

    def get_trail_status(self, *, Name: str) -> dict[str, Any]:
        return self._answer("GetTrailStatus", Name)

    def get_event_selectors(self, *, TrailName: str) -> dict[str, Any]:
        return self._answer("GetEventSelectors", TrailName)


def _replayed(record: Mapping[str, Any] | None, operation: str) -> dict[str, Any]:
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

    def __init__(self, evidence: _Evidence, account: str, region: str) -> None:
        self._evidence = evidence
        self._account = account
        self.meta = _ReplayMeta(region)

    def _answer(self, operation: str, bucket: str) -> dict[str, Any]:
        record = self._evidence.bucket_calls.get((self._account, operation, bucket))
        if record is None:
            raise _NotRecorded(operation)
        return _replayed(record, operation)

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
        account_id=trail.account_id,
        trail_name=trail.trail_name,
        trail_arn=trail.trail_arn,
        home_region=trail.home_region,
        is_organization_trail=trail.is_organization_trail,
        is_multi_region=trail.is_multi_region,
        bucket_name=trail.bucket_name,
        bucket_account_id=None,
        bucket_region=None,
        object_lock_enabled=None,
        lock_mode=None,
        retention_days=None,
        versioning=None,
        status=Status.ERROR,
        reason_code=ReasonCode.API_ERROR,
        reason=_UNSUPPORTED,
    )


def _finding_differences(result: ScanResult, recomputed: dict[str, Finding]) -> list[str]:
    differences: list[str] = []
    claimed = {finding.trail_arn: finding for finding in result.findings}
    for arn in sorted(set(recomputed) - set(claimed)):
        differences.append(
            f"{arn}: in the recorded DescribeTrails answers, missing from findings.json"
        )
    for arn in sorted(claimed):
        finding = claimed[arn]
        expected = recomputed.get(arn)
        if expected is None:
            differences.append(
                f"{arn}: in findings.json, but no recorded DescribeTrails answer names it"
            )
            continue
        if expected.reason == _UNSUPPORTED and finding.status is Status.ERROR:
            continue  # an ERROR claims nothing about the bucket: nothing to support
        for name in EVIDENCED_FIELDS:
            claimed_value, derived = getattr(finding, name), getattr(expected, name)
            if claimed_value != derived:
                differences.append(
                    f"{arn}: {name} is {_show(claimed_value)} in findings.json, "
                    f"the evidence gives {_show(derived)}"
                )
    return differences


def _show(value: object) -> str:
    return "null" if value is None else repr(getattr(value, "value", value))
