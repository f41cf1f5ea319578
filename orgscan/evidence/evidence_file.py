"""The recorded AWS responses of a run (``evidence/api-responses.jsonl.gz``), read for replay.

The file is untrusted input: every record the replay reads is checked to hold the types AWS
answers with (botocore's model of each operation's output), and a bad one is an
``EvidenceFileError`` naming its line. It is read twice, streamed: once for the trails, once for
the calls about the buckets those trails use and the trails' health, so memory stays
proportional to the trails, not to the file.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.model import ListShape, MapShape, Shape, ShapeResolver, StructureShape

from orgscan.aws.loader import new_session
from orgscan.aws.recorder import read_records
from orgscan.collect.trails import describe_trails
from orgscan.errors import InputError
from orgscan.facts import Trail
from orgscan.jsondoc import typed_value

#: The trail health calls, by the request parameter that names the trail.
HEALTH_OPERATIONS = {"GetTrailStatus": "Name", "GetEventSelectors": "TrailName"}
_BUCKET_OPERATIONS = (
    "HeadBucket",
    "GetObjectLockConfiguration",
    "GetBucketVersioning",
    "GetBucketLifecycleConfiguration",
    "GetBucketPolicyStatus",
    # S3's for a bucket (``Bucket``), s3control's for an account (``AccountId``).
    "GetPublicAccessBlock",
)
#: The KMS key reads, by the request parameter that names the key.
KEY_OPERATIONS = ("DescribeKey", "GetKeyRotationStatus")
#: The tamper-path reads (contract 5.3), by service; replayed by their whole request.
TAMPER_OPERATIONS = {
    "GetAccountAuthorizationDetails": "iam",
    "GetBucketPolicy": "s3",
    "GetKeyPolicy": "kms",
    "ListParents": "organizations",
    "ListPoliciesForTarget": "organizations",
    "DescribePolicy": "organizations",
    "DescribeOrganization": "organizations",
}
#: The pre-lock count's reads (contract 5.4); the inventory's are of its destination bucket.
PRELOCK_OPERATIONS = (
    "ListBucketInventoryConfigurations",
    "ListObjectVersions",
    "HeadObject",
    "ListObjectsV2",
    "GetObject",
)
_DESTINATION_READS = ("ListObjectsV2", "GetObject")
# The scan reads a bucket with at most this many accounts (its owner, then its trails').


class EvidenceFileError(InputError):
    """The evidence file is missing or damaged: nothing can be re-derived from it."""


@dataclass
class RecordedEvidence:
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
    #: trail ARN -> the accounts whose recorded DescribeTrails answers name it.
    listed_by: dict[str, set[str]] = field(default_factory=dict)
    #: (account, operation, key ARN) -> the last recorded DescribeKey / GetKeyRotationStatus.
    key_calls: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    #: (account, account asked about) -> the last recorded s3control GetPublicAccessBlock.
    account_calls: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    #: (account, operation, request as canonical JSON) -> the last recorded tamper-path read.
    tamper_calls: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    #: (account, operation, request as canonical JSON) -> the pre-lock count's recorded call.
    object_calls: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)


def request_key(request: Mapping[str, Any]) -> str:
    """A recorded request as the key the replay finds it by (parameters in a stable order)."""
    return json.dumps(request, sort_keys=True, separators=(",", ":"))


def load_evidence(path: Path) -> RecordedEvidence:
    """The trails, listings, bucket reads and trail health calls recorded in ``path``, indexed
    for replay; ``EvidenceFileError`` naming the line of a record that cannot be replayed."""
    evidence = RecordedEvidence()
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
                evidence.listed_by.setdefault(trail.trail_arn, set()).add(record["account_id"])
        buckets = {trail.bucket_name for trail in evidence.trails.values()}
        keys = {trail.kms_key_id for trail in evidence.trails.values() if trail.kms_key_id}
        for record in _records(
            path,
            "ListBuckets",
            *_BUCKET_OPERATIONS,
            *HEALTH_OPERATIONS,
            *TAMPER_OPERATIONS,
            *PRELOCK_OPERATIONS,
            *KEY_OPERATIONS,
        ):
            account = record["account_id"]
            operation = record["operation"]
            if operation in TAMPER_OPERATIONS:
                key = (account, operation, request_key(record["request"]))
                evidence.tamper_calls[key] = record
                continue
            if operation in PRELOCK_OPERATIONS:
                if operation in _DESTINATION_READS or record["request"].get("Bucket") in buckets:
                    key = (account, operation, request_key(record["request"]))
                    evidence.object_calls[key] = record
                continue
            if operation in HEALTH_OPERATIONS:
                arn = record["request"].get(HEALTH_OPERATIONS[operation])
                if arn in evidence.trails:
                    evidence.health_calls[(operation, arn)] = record
                continue
            if operation == "ListBuckets":
                _add_listing(evidence, account, record, buckets)
                continue
            if operation in KEY_OPERATIONS:
                if record["request"].get("KeyId") in keys:
                    evidence.key_calls[(account, operation, record["request"]["KeyId"])] = record
                continue
            bucket = record["request"].get("Bucket")
            if bucket in buckets:
                evidence.bucket_calls[(account, operation, bucket)] = record
            elif bucket is None and "AccountId" in record["request"]:
                evidence.account_calls[(account, record["request"]["AccountId"])] = record
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
_REQUEST_KEYS = ("Bucket", "KeyId", "AccountId", *HEALTH_OPERATIONS.values())
_SERVICE_OF = {
    "DescribeTrails": "cloudtrail",
    "GetTrailStatus": "cloudtrail",
    "GetEventSelectors": "cloudtrail",
    "ListBuckets": "s3",
    # s3control's GetPublicAccessBlock answers with the same shape as S3's.
    **dict.fromkeys(_BUCKET_OPERATIONS, "s3"),
    **TAMPER_OPERATIONS,
    **dict.fromkeys(PRELOCK_OPERATIONS, "s3"),
    **dict.fromkeys(KEY_OPERATIONS, "kms"),
}
#: Shapes botocore decodes on the way out: IAM's URL-encoded policy documents become objects.
_DECODED_SHAPES = frozenset({"policyDocumentType"})
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
    elif shape.name in _DECODED_SHAPES:
        _check_kind(value, (str, dict), where)
    else:
        _check_kind(value, _SCALAR_KINDS.get(kind, (str,)), where)


def _check_kind(value: Any, kinds: tuple[type, ...], where: str) -> None:
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        wanted = " or ".join("an object" if k is dict else k.__name__ for k in kinds)
        raise TypeError(f"{where} must be {wanted}, not {value!r:.60}")


def _add_listing(
    evidence: RecordedEvidence, account: str, record: dict[str, Any], buckets: set[str]
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


class _ReplayTrails:
    """Answers DescribeTrails with one recorded response."""

    def __init__(self, response: dict[str, Any]) -> None:
        self._response = response

    def describe_trails(self, **_: Any) -> dict[str, Any]:
        """The recorded response, whatever the request."""
        return self._response
