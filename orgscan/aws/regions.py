"""Regions: which belong to the caller's partition and which are enabled for an account.

A region is scanned when ``DescribeRegions`` says it is enabled, even when botocore's static
endpoint list (older than the region) does not know it: the SDK builds its endpoints from the
partition's rules, and a region it still cannot reach fails visibly as an error row.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

import botocore.loaders

from orgscan.error_codes import (
    DENIED_BY_ORGANIZATION_POLICY,
    POLICY_DENIED_CODES,
    REGION_DISABLED_CODES,
)
from orgscan.identifiers import REGION_RE

# The services a scan calls in every region; a region must be known to all of them.
REGIONAL_SERVICES = ("cloudtrail", "s3")
# How AWS words an explicit deny from an organization policy in the error message.
_POLICY_DENY = re.compile(r"explicit deny in an? (service|resource) control policy", re.I)


@functools.cache
def _partition_patterns() -> dict[str, re.Pattern[str]]:
    endpoints = botocore.loaders.create_loader().load_data("endpoints")
    return {
        str(p["partition"]): re.compile(str(p["regionRegex"]))
        for p in endpoints.get("partitions", [])
        if "regionRegex" in p
    }


def in_partition(region: str, partition: str, known: Sequence[str] = ()) -> bool:
    """True when ``region`` belongs to ``partition``: known to botocore, or named as the
    partition names its regions (a region newer than this botocore)."""
    if region in known:
        return True
    # Named as a region is named everywhere else in orgscan (botocore's patterns end in "$",
    # which also matches before a trailing newline).
    if not REGION_RE.match(region):
        return False
    # The aws pattern also matches us-gov-* and us-iso-*: the most specific pattern decides.
    matching = [
        (len(pattern.pattern), name)
        for name, pattern in _partition_patterns().items()
        if pattern.match(region)
    ]
    return bool(matching) and max(matching)[1] == partition


def enabled_regions(
    ec2_client: Any, partition_regions: Sequence[str], partition: str = "aws"
) -> list[str]:
    """The regions enabled for the account (``DescribeRegions``), in the caller's partition.

    ``DescribeRegions`` without ``AllRegions`` lists enabled regions only; ``OptInStatus`` is
    still checked because some endpoints (and moto) list every region. A region botocore's
    static list lacks is kept when its name belongs to the partition.
    """
    reply = ec2_client.describe_regions()
    enabled = {
        str(region["RegionName"])
        for region in reply.get("Regions") or []
        if isinstance(region.get("RegionName"), str)
        and in_partition(region["RegionName"], partition, partition_regions)
        and region.get("OptInStatus") != "not-opted-in"
    }
    return sorted(enabled)


def is_denied_by_organization_policy(code: str, message: str) -> bool:
    """True for an AccessDenied whose message names an explicit deny in an SCP or RCP."""
    return code in POLICY_DENIED_CODES and bool(_POLICY_DENY.search(message))


def region_failure_code(code: str, message: str) -> str:
    """The code an error row records for a call that failed in a region.

    An explicit deny from an organization policy has its own code; any other keeps its own.
    """
    if is_denied_by_organization_policy(code, message):
        return DENIED_BY_ORGANIZATION_POLICY
    return code


def means_region_disabled(code: str, *, known_enabled: bool) -> bool:
    """True when a failure in a region says the region is not enabled for the account.

    Not in a region ``DescribeRegions`` listed as enabled: there the same codes are an
    authentication failure (e.g. a token of the global STS endpoint in an opt-in region).
    """
    return code in REGION_DISABLED_CODES and not known_enabled
