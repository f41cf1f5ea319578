"""Trail health read from moto and from replies AWS gives: logging, delivery, event selectors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from orgscan.collect.trails import (
    TrailHealth,
    is_control_tower,
    management_events,
    read_trail_health,
)
from orgscan.facts import AwsError
from orgscan.model import ManagementEvents

ME = ManagementEvents


@pytest.fixture
def cloudtrail(aws_env: None) -> Iterator[Any]:
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="trail-health-logs")
        client = boto3.client("cloudtrail", region_name="us-east-1")
        yield client


def _trail(client: Any, name: str) -> str:
    return str(
        client.create_trail(Name=name, S3BucketName="trail-health-logs", IsMultiRegionTrail=True)[
            "TrailARN"
        ]
    )


def test_a_logging_trail_recording_everything(cloudtrail: Any) -> None:
    arn = _trail(cloudtrail, "main")
    cloudtrail.start_logging(Name=arn)
    cloudtrail.put_event_selectors(
        TrailName=arn, EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}]
    )
    health = read_trail_health(cloudtrail, arn)
    assert (health.is_logging, health.latest_delivery_error, health.management_events) == (
        True,
        None,
        ME.ALL,
    )
    # moto answers a logging trail's last delivery with about now; read as ISO-8601 UTC.
    assert health.latest_delivery_time is not None
    assert health.latest_delivery_time.endswith("Z")
    assert health.delivering(datetime.now(UTC), max_age_hours=24) is True


def test_basic_selectors_excluding_event_sources_record_part_of_them(cloudtrail: Any) -> None:
    # Before contract v3 this read as All: ExcludeManagementEventSources was never looked at.
    arn = _trail(cloudtrail, "no-kms")
    cloudtrail.put_event_selectors(
        TrailName=arn,
        EventSelectors=[
            {
                "ReadWriteType": "All",
                "IncludeManagementEvents": True,
                "ExcludeManagementEventSources": ["kms.amazonaws.com", "rdsdata.amazonaws.com"],
            }
        ],
    )
    assert read_trail_health(cloudtrail, arn).management_events is ME.PARTIAL


def test_a_stopped_trail_with_read_only_selectors(cloudtrail: Any) -> None:
    arn = _trail(cloudtrail, "reads")
    cloudtrail.put_event_selectors(
        TrailName=arn,
        EventSelectors=[{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}],
    )
    assert read_trail_health(cloudtrail, arn) == TrailHealth(False, None, ME.READ_ONLY)


def test_advanced_selectors_for_data_events_only_record_no_management_events(
    cloudtrail: Any,
) -> None:
    arn = _trail(cloudtrail, "data")
    cloudtrail.start_logging(Name=arn)
    cloudtrail.put_event_selectors(
        TrailName=arn,
        AdvancedEventSelectors=[
            {
                "Name": "s3 data",
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                ],
            }
        ],
    )
    assert read_trail_health(cloudtrail, arn).management_events is ME.NONE


def test_an_unknown_trail_is_unreadable_not_stopped(cloudtrail: Any) -> None:
    arn = "arn:aws:cloudtrail:us-east-1:123456789012:trail/nowhere"
    health = read_trail_health(cloudtrail, arn)
    assert (health.is_logging, health.management_events) == (None, None)
    assert health.status_error is not None
    assert health.status_error.code == "TrailNotFoundException"
    assert health.selectors_error is not None


class _Replies:
    """A CloudTrail client answering fixed replies or raising fixed errors."""

    def __init__(
        self, status: dict[str, Any] | Exception, selectors: dict[str, Any] | Exception
    ) -> None:
        self.status, self.selectors = status, selectors

    def get_trail_status(self, Name: str) -> dict[str, Any]:
        if isinstance(self.status, Exception):
            raise self.status
        return self.status

    def get_event_selectors(self, TrailName: str) -> dict[str, Any]:
        if isinstance(self.selectors, Exception):
            raise self.selectors
        return self.selectors


def _denied() -> ClientError:
    return ClientError(
        {"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetEventSelectors"
    )


def test_delivery_error_is_kept_and_a_failed_read_is_an_error_value() -> None:
    client = _Replies({"IsLogging": True, "LatestDeliveryError": "NoSuchBucket"}, _denied())
    health = read_trail_health(client, "arn")
    assert (health.is_logging, health.latest_delivery_error) == (True, "NoSuchBucket")
    assert health.management_events is None
    assert health.selectors_error == AwsError("AccessDeniedException", "no")


@pytest.mark.parametrize(
    ("status", "delivering"),
    [
        ({"IsLogging": True}, True),
        # An error with no delivery at all, or none within the age limit: not delivering.
        ({"IsLogging": True, "LatestDeliveryError": "NoSuchBucket"}, False),
        (
            {
                "IsLogging": True,
                "LatestDeliveryError": "AccessDenied",
                "LatestDeliveryTime": datetime(2026, 11, 25, 11, 59, tzinfo=UTC),
            },
            False,
        ),
        # An error, but a delivery 23 hours before the scan succeeded.
        (
            {
                "IsLogging": True,
                "LatestDeliveryError": "AccessDenied",
                "LatestDeliveryTime": datetime(2026, 11, 26, 13, 0, tzinfo=UTC),
            },
            True,
        ),
    ],
)
def test_delivering_is_judged_against_the_scan_start(
    status: dict[str, Any], delivering: bool
) -> None:
    health = read_trail_health(_Replies(status, {"EventSelectors": []}), "arn")
    assert health.delivering(datetime(2026, 11, 27, 12, 0, tzinfo=UTC), 24) is delivering


def test_delivering_is_unknown_when_the_status_could_not_be_read() -> None:
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetTrailStatus")
    health = read_trail_health(_Replies(denied, {"EventSelectors": []}), "arn")
    assert health.delivering(datetime(2026, 11, 27, tzinfo=UTC), 24) is None


def test_a_recorded_delivery_time_reads_as_the_live_one() -> None:
    # The evidence holds botocore's datetime as ISO text; replay must give the same field.
    live = {"IsLogging": True, "LatestDeliveryTime": datetime(2026, 11, 27, 9, 4, 11, tzinfo=UTC)}
    recorded = {"IsLogging": True, "LatestDeliveryTime": "2026-11-27T09:04:11+00:00"}
    times = {
        read_trail_health(_Replies(reply, {"EventSelectors": []}), "arn").latest_delivery_time
        for reply in (live, recorded)
    }
    assert times == {"2026-11-27T09:04:11Z"}


def test_a_status_without_is_logging_is_not_read_as_stopped() -> None:
    health = read_trail_health(_Replies({}, {"EventSelectors": []}), "arn")
    assert health.is_logging is None


def _field(name: str, **condition: list[str]) -> dict[str, Any]:
    return {"Field": name, **condition}


MGMT = _field("eventCategory", Equals=["Management"])


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ({"EventSelectors": [{"ReadWriteType": "All"}]}, ME.ALL),
        ({"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": False}]}, ME.NONE),
        ({"EventSelectors": [{"ReadWriteType": "WriteOnly"}]}, ME.WRITE_ONLY),
        (
            {"EventSelectors": [{"ReadWriteType": "WriteOnly"}, {"ReadWriteType": "ReadOnly"}]},
            ME.ALL,
        ),
        ({"EventSelectors": [], "AdvancedEventSelectors": []}, ME.NONE),
        ({"AdvancedEventSelectors": [{"FieldSelectors": [MGMT]}]}, ME.ALL),
        (
            {
                "AdvancedEventSelectors": [
                    {"FieldSelectors": [MGMT, _field("readOnly", Equals=["true"])]}
                ]
            },
            ME.READ_ONLY,
        ),
        (
            {
                "AdvancedEventSelectors": [
                    {"FieldSelectors": [MGMT, _field("readOnly", Equals=["false"])]}
                ]
            },
            ME.WRITE_ONLY,
        ),
        (
            {
                "AdvancedEventSelectors": [
                    {"FieldSelectors": [MGMT, _field("readOnly", Equals=["false"])]},
                    {"FieldSelectors": [MGMT, _field("readOnly", Equals=["true"])]},
                ]
            },
            ME.ALL,
        ),
        # Excluding an event source records part of the management events, as a basic
        # selector's ExcludeManagementEventSources does.
        (
            {
                "AdvancedEventSelectors": [
                    {
                        "FieldSelectors": [
                            MGMT,
                            _field("eventSource", NotEquals=["kms.amazonaws.com"]),
                        ]
                    }
                ]
            },
            ME.PARTIAL,
        ),
        (
            {
                "AdvancedEventSelectors": [
                    {
                        "FieldSelectors": [
                            MGMT,
                            _field("eventSource", NotStartsWith=["rdsdata."]),
                            _field("readOnly", Equals=["true"]),
                        ]
                    }
                ]
            },
            ME.READ_ONLY,
        ),
        # Only some sources: not every management event, not counted.
        (
            {
                "AdvancedEventSelectors": [
                    {"FieldSelectors": [MGMT, _field("eventSource", Equals=["s3.amazonaws.com"])]}
                ]
            },
            ME.NONE,
        ),
        # A full selector beside one that excludes: everything is recorded.
        (
            {
                "EventSelectors": [
                    {
                        "ReadWriteType": "All",
                        "ExcludeManagementEventSources": ["kms.amazonaws.com"],
                    },
                    {"ReadWriteType": "All"},
                ]
            },
            ME.ALL,
        ),
        (
            {
                "EventSelectors": [
                    {"ReadWriteType": "ReadOnly"},
                    {
                        "ReadWriteType": "WriteOnly",
                        "ExcludeManagementEventSources": ["kms.amazonaws.com"],
                    },
                ]
            },
            ME.PARTIAL,
        ),
        (
            {
                "AdvancedEventSelectors": [
                    {
                        "FieldSelectors": [
                            _field("eventCategory", Equals=["Management"], NotEquals=["x"])
                        ]
                    }
                ]
            },
            ME.NONE,
        ),
    ],
)
def test_management_events_of_selectors(reply: dict[str, Any], expected: ME) -> None:
    assert management_events(reply) is expected


def test_control_tower_names() -> None:
    assert is_control_tower("aws-controltower-BaselineCloudTrail")
    assert is_control_tower("aws-controltower-logs-123456789012-us-east-1")
    assert not is_control_tower("my-aws-controltower-copy")
