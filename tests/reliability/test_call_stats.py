"""The run log's count of AWS calls, retries and throttling per service, under injected faults;
and the DEBUG line of each call."""

from __future__ import annotations

import logging
import re

import pytest

from orgscan.scan import scan_organization
from tests.faults import Call, FaultInjector
from tests.reliability.world import MAX_ATTEMPTS, DemoWorld


def test_throttling_and_retries_are_counted_per_service(demo_world: DemoWorld) -> None:
    faults = FaultInjector()
    faults.error(
        lambda call: call.service == "cloudtrail",
        "ThrottlingException",
        400,
        times=MAX_ATTEMPTS - 1,
        per_call=True,
        message="Rate exceeded",
    )
    settings = demo_world.settings()
    sessions = demo_world.sessions(faults, settings)
    scan_organization(settings, sessions)

    rows = {row.service: row for row in sessions.calls.by_service()}
    made = {service: sum(1 for call in faults.calls if call.service == service) for service in rows}
    cloudtrail = rows["cloudtrail"]
    assert cloudtrail.calls == made["cloudtrail"] > 0
    assert cloudtrail.throttled == cloudtrail.retries == (MAX_ATTEMPTS - 1) * cloudtrail.calls
    assert cloudtrail.failed == 0
    for service in ("sts", "organizations", "ec2"):
        assert rows[service].calls == made[service] > 0
        assert (rows[service].retries, rows[service].throttled) == (0, 0)


def test_a_call_that_stays_throttled_counts_as_failed(demo_world: DemoWorld) -> None:
    faults = FaultInjector()

    def one_region(call: Call) -> bool:
        return call.service == "cloudtrail" and call.region == demo_world.org.regions[0]

    faults.error(one_region, "ThrottlingException", 400, message="Rate exceeded")
    settings = demo_world.settings()
    sessions = demo_world.sessions(faults, settings)
    scan_organization(settings, sessions)

    cloudtrail = {row.service: row for row in sessions.calls.by_service()}["cloudtrail"]
    throttled_calls = sum(1 for call in faults.calls if one_region(call))
    assert cloudtrail.failed == throttled_calls > 0
    assert cloudtrail.throttled == MAX_ATTEMPTS * throttled_calls


def test_debug_adds_one_line_per_call_naming_the_account(
    demo_world: DemoWorld, caplog: pytest.LogCaptureFixture
) -> None:
    faults = FaultInjector()
    settings = demo_world.settings()
    sessions = demo_world.sessions(faults, settings)
    with caplog.at_level(logging.DEBUG, logger="orgscan.aws.calls"):
        scan_organization(settings, sessions)
    lines = [record.getMessage() for record in caplog.records if record.name == "orgscan.aws.calls"]
    assert len(lines) == len(faults.calls)
    pattern = re.compile(
        r"^call ([\w-]+)\.(\w+) account (\d{12}|caller) region ([\w-]+): (ok|\w+) "
        r"in \d+ ms, 0 retries$"
    )
    parsed = [pattern.match(line) for line in lines]
    assert all(parsed), [line for line, match in zip(lines, parsed, strict=True) if not match]
    member = demo_world.account("identity-prod")
    assert any(
        match is not None and match[1] == "cloudtrail" and match[3] == member and match[5] == "ok"
        for match in parsed
    )
    # An AWS error answer names its code; no parameter, header or key is in the line.
    assert any(
        match is not None and match[5] == "ObjectLockConfigurationNotFoundError" for match in parsed
    )
