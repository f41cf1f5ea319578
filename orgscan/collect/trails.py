"""Trails: ``DescribeTrails`` in one region of one account, shadow trails included.

With ``includeShadowTrails`` (the default) a region answers with every trail that records its
activity: trails homed there, multi-region trails homed elsewhere and, in a member account, the
organization trail. The caller de-duplicates by ARN across the organization.

Trail health (``GetTrailStatus``, ``GetEventSelectors``) is read per unique trail, in its home
region, with the ARN; a value that could not be read is None with the error beside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from orgscan.facts import AwsError, Trail
from orgscan.identifiers import ACCOUNT_ID_RE, CONTROL_TOWER_PREFIX
from orgscan.model import ManagementEvents


@dataclass(frozen=True)
class MalformedTrail:
    """A trail entry without the keys a finding needs (kept so nothing vanishes silently)."""

    description: str


def describe_trails(client: Any, region: str) -> tuple[list[Trail], list[MalformedTrail]]:
    """Every trail that records activity in ``region``; raises botocore errors."""
    reply = client.describe_trails(includeShadowTrails=True)
    trails: list[Trail] = []
    malformed: list[MalformedTrail] = []
    for raw in reply.get("trailList") or []:
        trail = parse_trail(raw)
        if trail is None:
            malformed.append(MalformedTrail(description=repr(raw)[:200]))
        elif trail.records_activity_in(region):
            trails.append(trail)
    return trails, malformed


def parse_trail(raw: dict[str, Any]) -> Trail | None:
    """A ``Trail`` from one ``trailList`` entry, or None when ARN or bucket is missing."""
    arn = raw.get("TrailARN")
    bucket = raw.get("S3BucketName")
    if not isinstance(arn, str) or not isinstance(bucket, str) or not bucket:
        return None
    parts = arn.split(":")
    # The owner's id names files (remediation/<account>.sh): only a real account id will do.
    if len(parts) < 6 or not ACCOUNT_ID_RE.match(parts[4]):
        return None
    home_region = raw.get("HomeRegion") or parts[3]
    name = raw.get("Name") or parts[5].split("/", 1)[-1]
    return Trail(
        trail_arn=arn,
        trail_name=str(name),
        account_id=parts[4],
        home_region=str(home_region),
        is_organization_trail=bool(raw.get("IsOrganizationTrail", False)),
        is_multi_region=bool(raw.get("IsMultiRegionTrail", False)),
        bucket_name=bucket,
        s3_key_prefix=raw.get("S3KeyPrefix"),
        kms_key_id=raw.get("KmsKeyId"),
        include_global_service_events=_flag(raw.get("IncludeGlobalServiceEvents")),
        log_file_validation=_flag(raw.get("LogFileValidationEnabled")),
    )


def _flag(value: object) -> bool | None:
    # A reply that does not say is not "off".
    return value if isinstance(value, bool) else None


def is_control_tower(name: str) -> bool:
    """True for a trail or bucket AWS Control Tower created (``aws-controltower-*``)."""
    return name.startswith(CONTROL_TOWER_PREFIX)


@dataclass(frozen=True, slots=True)
class TrailHealth:
    """What ``GetTrailStatus`` and ``GetEventSelectors`` said of one trail.

    A field is None when its call failed; the failure is in ``status_error`` or
    ``selectors_error``. Nothing unread is guessed.
    """

    is_logging: bool | None
    latest_delivery_error: str | None
    management_events: ManagementEvents | None
    status_error: AwsError | None = None
    selectors_error: AwsError | None = None
    #: ``LatestDeliveryTime`` as ISO-8601 UTC; None when absent or unread.
    latest_delivery_time: str | None = None

    def delivering(self, started: datetime, max_age_hours: int) -> bool | None:
        """False when a delivery error is set and no delivery succeeded within
        ``max_age_hours`` before ``started`` (the scan's start); None when the status was not
        read; True otherwise (contract v3)."""
        if self.status_error is not None or self.is_logging is None:
            return None
        if self.latest_delivery_error is None:
            return True
        if self.latest_delivery_time is None:
            return False
        delivered = datetime.fromisoformat(self.latest_delivery_time)
        return delivered >= started - timedelta(hours=max_age_hours)


def read_trail_health(client: Any, trail_arn: str) -> TrailHealth:
    """Both health reads for one trail; ``client`` must be in the trail's home region."""
    is_logging: bool | None = None
    delivery_error: str | None = None
    delivered: str | None = None
    events: ManagementEvents | None = None
    status_error: AwsError | None = None
    selectors_error: AwsError | None = None
    try:
        is_logging, delivery_error, delivered = trail_status(client, trail_arn)
    except (ClientError, BotoCoreError) as exc:
        status_error = AwsError.of(exc)
    try:
        events = management_events(client.get_event_selectors(TrailName=trail_arn))
    except (ClientError, BotoCoreError) as exc:
        selectors_error = AwsError.of(exc)
    return TrailHealth(is_logging, delivery_error, events, status_error, selectors_error, delivered)


def trail_status(client: Any, trail_arn: str) -> tuple[bool | None, str | None, str | None]:
    """``GetTrailStatus``: (IsLogging, LatestDeliveryError, LatestDeliveryTime as ISO-8601
    UTC); raises botocore errors.

    IsLogging is None when the reply lacks it: an answer that does not say is not "stopped".
    """
    reply = client.get_trail_status(Name=trail_arn)
    logging = reply.get("IsLogging")
    delivery = reply.get("LatestDeliveryError")
    return (
        logging if isinstance(logging, bool) else None,
        str(delivery) if delivery else None,
        _utc_text(reply.get("LatestDeliveryTime")),
    )


def _utc_text(value: object) -> str | None:
    """A time botocore parsed (a datetime) or the evidence recorded (its ISO text), as
    ``2026-11-27T09:04:11Z``; None when absent or not a time."""
    if isinstance(value, str) and value:
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def management_events(reply: Mapping[str, Any]) -> ManagementEvents:
    """What a ``GetEventSelectors`` reply records of management events.

    Basic selectors count when ``IncludeManagementEvents`` (default true) holds, by their
    ``ReadWriteType``. Advanced selectors count when ``eventCategory`` equals ``Management``,
    by their ``readOnly`` field. Basic and advanced selectors are treated alike: one that
    excludes event sources (a non-empty ``ExcludeManagementEventSources``, or ``NotEquals`` /
    ``NotStartsWith`` on ``eventSource``) records only part of them, and reads and writes
    recorded so make ``Partial``; one that narrows them by any other field is not counted.
    """
    full: set[str] = set()  # "read", "write": recorded from every event source
    some: set[str] = set()  # recorded, perhaps with sources excluded
    for selector in _dicts(reply.get("EventSelectors")):
        if selector.get("IncludeManagementEvents", True) is not True:
            continue
        kinds = set(_READ_WRITE.get(selector.get("ReadWriteType", "All"), ()))
        some |= kinds
        if not selector.get("ExcludeManagementEventSources"):
            full |= kinds
    for selector in _dicts(reply.get("AdvancedEventSelectors")):
        kinds, excludes = _advanced_coverage(_dicts(selector.get("FieldSelectors")))
        some |= kinds
        if not excludes:
            full |= kinds
    if full == {"read", "write"}:
        return ManagementEvents.ALL
    if some == {"read", "write"}:
        return ManagementEvents.PARTIAL
    if "read" in some:
        return ManagementEvents.READ_ONLY
    return ManagementEvents.WRITE_ONLY if "write" in some else ManagementEvents.NONE


#: What a basic selector's ``ReadWriteType`` records.
_READ_WRITE = {"All": ("read", "write"), "ReadOnly": ("read",), "WriteOnly": ("write",)}
#: The operators of an advanced selector's ``eventSource`` field that exclude sources.
_EXCLUDING = frozenset({"NotEquals", "NotStartsWith"})


def _advanced_coverage(fields: list[dict[str, Any]]) -> tuple[set[str], bool]:
    """What one advanced selector records of management events ({"read", "write"} or part),
    and whether it excludes event sources."""
    by_field = {str(f.get("Field")): f for f in fields}
    category = by_field.pop("eventCategory", None)
    if category is None or category.get("Equals") != ["Management"] or len(category) != 2:
        return set(), False
    read_only = by_field.pop("readOnly", None)
    source = by_field.pop("eventSource", None)
    excludes = False
    if source is not None:
        operators = set(source) - {"Field"}
        if not operators or not operators <= _EXCLUDING:
            return set(), False  # only these sources: not every management event
        excludes = any(source.get(op) for op in operators)
    if by_field:  # narrowed by another field: not every management event
        return set(), False
    if read_only is None:
        return {"read", "write"}, excludes
    equals = read_only.get("Equals")
    if set(read_only) != {"Field", "Equals"} or not isinstance(equals, list):
        return set(), False
    values = {str(v).lower() for v in equals}
    kinds = {"read"} if "true" in values else set()
    return kinds | ({"write"} if "false" in values else set()), excludes


def _dicts(value: object) -> list[dict[str, Any]]:
    items: Iterable[object] = value if isinstance(value, list) else ()
    return [item for item in items if isinstance(item, dict)]
