"""What ``remediate --apply`` checks of a ``recording`` entry before it changes anything.

The steps of such an entry change one trail, so each must be exactly a call orgscan makes for
that trail: by the account that owns it (for an organization trail, the management account), in
its home region, naming the trail by its ARN, with the one value each call may set. Nothing here
ever stops logging, narrows what is recorded or moves a trail to another bucket; creating a trail
is allowed only as an organization trail recording everything into a bucket that passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orgscan.model import Finding, Status
from orgscan.remediation.plan_model import PlanEntry, Service, Step
from orgscan.remediation.recording import ORGANIZATION_TRAIL_NAME
from orgscan.remediation.trail_steps import MANAGEMENT_SELECTOR

#: Per operation: the parameter naming the trail, and the exact other parameters allowed.
_EXACT: Mapping[str, tuple[str, tuple[Mapping[str, Any], ...]]] = {
    "UpdateTrail": (
        "Name",
        (
            {"IsMultiRegionTrail": True, "IncludeGlobalServiceEvents": True},
            {"IncludeGlobalServiceEvents": True},
        ),
    ),
    "StartLogging": ("Name", ({},)),
    "PutEventSelectors": ("TrailName", ({"EventSelectors": [MANAGEMENT_SELECTOR]},)),
}
_CREATE = {
    "Name": ORGANIZATION_TRAIL_NAME,
    "IsOrganizationTrail": True,
    "IsMultiRegionTrail": True,
    "IncludeGlobalServiceEvents": True,
    "EnableLogFileValidation": True,
}


def recording_problems(entry: PlanEntry, findings: Mapping[str, Finding]) -> list[str]:
    """Every reason the steps of the ``recording`` entry may not run against ``findings`` (the
    run's, by trail ARN)."""
    if not entry.findings:
        return [
            f"step {index} {step.operation}: {problem}"
            for index, step in enumerate(entry.steps, start=1)
            for problem in _create_problems(step, findings)
        ]
    trail = findings.get(entry.findings[0])
    if len(entry.findings) != 1 or trail is None:
        return ["its trail is not one of this run's"]
    return [
        f"step {index} {step.operation}: {problem}"
        for index, step in enumerate(entry.steps, start=1)
        for problem in _step_problems(step, trail)
    ]


def _step_problems(step: Step, trail: Finding) -> list[str]:
    if step.service is not Service.CLOUDTRAIL or step.operation not in _EXACT:
        return ["not an operation orgscan makes on a trail"]
    name, allowed = _EXACT[step.operation]
    problems = []
    if step.parameters.get(name) != trail.trail_arn:
        problems.append("does not name the entry's trail")
    rest = {key: value for key, value in step.parameters.items() if key != name}
    if rest not in [dict(values) for values in allowed]:
        problems.append(f"parameters {sorted(step.parameters)} are not the ones orgscan sends")
    if step.account_id != trail.account_id or step.region != trail.home_region:
        problems.append("does not run as the trail's owner in its home region")
    return problems


def _create_problems(step: Step, findings: Mapping[str, Finding]) -> list[str]:
    if step.service is not Service.CLOUDTRAIL:
        return ["not an operation orgscan makes on a trail"]
    if step.operation == "StartLogging":
        return [] if step.parameters == {"Name": ORGANIZATION_TRAIL_NAME} else ["not orgscan's"]
    if step.operation != "CreateTrail":
        return ["not an operation orgscan makes on a trail"]
    bucket = step.parameters.get("S3BucketName")
    rest = {key: value for key, value in step.parameters.items() if key != "S3BucketName"}
    problems = []
    if rest != _CREATE:
        problems.append("is not an organization trail recording everything")
    if not any(f.bucket_name == bucket and f.status is Status.PASS for f in findings.values()):
        problems.append("delivers to a bucket that did not pass in this run")
    return problems
