"""Regions: which exist in the caller's partition and which are enabled for an account."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# A region that is not enabled for the account answers with one of these.
REGION_DISABLED_CODES = frozenset({
    "UnrecognizedClientException", "InvalidClientTokenId", "AuthFailure", "OptInRequired",
})
# The services a scan calls in every region; a region must be known to all of them.
REGIONAL_SERVICES = ("cloudtrail", "s3")


def enabled_regions(ec2_client: Any, partition_regions: Sequence[str]) -> list[str]:
    """The regions enabled for the account (``DescribeRegions``), limited to the partition.

    ``DescribeRegions`` without ``AllRegions`` lists enabled regions only; ``OptInStatus`` is
    still checked because some endpoints (and moto) list every region.
    """
    reply = ec2_client.describe_regions()
    known = set(partition_regions)
    enabled = {
        region["RegionName"]
        for region in reply.get("Regions") or []
        if region.get("RegionName") in known and region.get("OptInStatus") != "not-opted-in"
    }
    return sorted(enabled)
