"""Trail health read from moto and from replies AWS gives: logging, delivery, event selectors."""

from __future__ import annotations

from collections.abc import Iterator
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
    assert read_trail_health(cloudtrail, arn) == TrailHealth(True, None, ME.ALL)


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
        # Excluding an event source records less than all management events.
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
            ME.NONE,
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
