"""The CloudTrail calls that close a recording gap (contract §5.1): one ``Step`` builder per
call, each with the read that says it is done and, where a change could drop something, the
guard that stops it.

Every call runs in the trail's home region as the account that owns the trail: an
organization trail is changed only from the management account (or the CloudTrail delegated
administrator), which is the trail's owner in its ARN. Calls name the trail by its ARN.
"""

from __future__ import annotations

from typing import Any

from orgscan.model import Finding
from orgscan.remediation.plan_model import Check, Guard, GuardKind, Service, Step

#: The error a trail that does not exist (any more) answers.
NO_SUCH_TRAIL = ("TrailNotFoundException",)
#: The one basic selector that records every management event, reads and writes, from every
#: event source (what AWS gives a new trail by default).
MANAGEMENT_SELECTOR: dict[str, Any] = {
    "ReadWriteType": "All",
    "IncludeManagementEvents": True,
    "DataResources": [],
    "ExcludeManagementEventSources": [],
}
#: Its advanced-selector equivalent: every management event, no field narrowing it.
ADVANCED_MANAGEMENT_SELECTOR: dict[str, Any] = {
    "Name": "Management events",
    "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}],
}
#: JMESPath on ``GetEventSelectors``: true when one selector records every management event
#: (basic: All, included, no excluded source; advanced: the category alone).
ALL_MANAGEMENT = (
    "!!(EventSelectors[?IncludeManagementEvents && ReadWriteType == 'All' "
    "&& !ExcludeManagementEventSources] || AdvancedEventSelectors[?length(FieldSelectors) "
    "== to_number('1') && FieldSelectors[0].Field == 'eventCategory' "
    "&& FieldSelectors[0].Equals == ['Management']])"
)
#: JMESPath on ``GetEventSelectors``: true when the trail records more than management events
#: (a basic selector with data resources, or an advanced selector of another category).
OTHER_SELECTORS = (
    "!!(EventSelectors[?DataResources[0]] || AdvancedEventSelectors[?FieldSelectors"
    "[?Field == 'eventCategory' && Equals != ['Management']]])"
)


def _trail_step(
    finding: Finding,
    operation: str,
    parameters: dict[str, Any],
    description: str,
    check: Check,
    guards: tuple[Guard, ...] = (),
) -> Step:
    return Step(
        account_id=finding.account_id,
        region=finding.home_region,
        service=Service.CLOUDTRAIL,
        operation=operation,
        parameters=parameters,
        description=description,
        fixes=(finding.trail_arn,),
        check=check,
        guards=guards,
    )


def _get_trail(arn: str, condition: str) -> Check:
    return Check("GetTrail", {"Name": arn}, condition)


def multi_region_step(finding: Finding) -> Step:
    """Make the trail record every region (AWS requires global service events with it)."""
    return _trail_step(
        finding,
        "UpdateTrail",
        {
            "Name": finding.trail_arn,
            "IsMultiRegionTrail": True,
            "IncludeGlobalServiceEvents": True,
        },
        f"Make trail {finding.trail_name} record every region (multi-region, with global "
        "service events).",
        _get_trail(
            finding.trail_arn, "Trail.IsMultiRegionTrail && Trail.IncludeGlobalServiceEvents"
        ),
    )


def global_events_step(finding: Finding) -> Step:
    """Make the trail record global service events (IAM, STS, CloudFront)."""
    return _trail_step(
        finding,
        "UpdateTrail",
        {"Name": finding.trail_arn, "IncludeGlobalServiceEvents": True},
        f"Make trail {finding.trail_name} record global service events (IAM, STS, CloudFront).",
        _get_trail(finding.trail_arn, "Trail.IncludeGlobalServiceEvents"),
    )


def start_logging_step(finding: Finding) -> Step:
    """Start the trail's logging."""
    return _trail_step(
        finding,
        "StartLogging",
        {"Name": finding.trail_arn},
        f"Start logging on trail {finding.trail_name} (it records nothing while stopped).",
        Check("GetTrailStatus", {"Name": finding.trail_arn}, "IsLogging"),
    )


def management_events_step(finding: Finding) -> Step:
    """Record every management event: ReadWriteType All, included, no excluded source.

    The planned call replaces the trail's selectors with the one management selector; a trail
    that also records data events keeps them only through ``orgscan remediate --apply``, which
    merges (``selectors.merged_selectors``, in the trail's basic or advanced form). A script
    stops there instead of dropping them.
    """
    before = finding.management_events.value if finding.management_events else "unknown"
    keeps = Guard(
        kind=GuardKind.OTHER_SELECTORS,
        operation="GetEventSelectors",
        parameters={"TrailName": finding.trail_arn},
        reason=(
            "the trail records data events too; putting the planned selector alone would "
            "drop them. Run orgscan remediate --apply, which keeps them, or add a selector "
            "recording all management events by hand"
        ),
        condition=OTHER_SELECTORS,
    )
    return _trail_step(
        finding,
        "PutEventSelectors",
        {"TrailName": finding.trail_arn, "EventSelectors": [dict(MANAGEMENT_SELECTOR)]},
        f"Record all management events on trail {finding.trail_name}: before, management "
        f"events {before}; after, ReadWriteType All, IncludeManagementEvents true, no "
        "excluded event source (advanced selectors: eventCategory = Management alone).",
        Check("GetEventSelectors", {"TrailName": finding.trail_arn}, ALL_MANAGEMENT),
        (keeps,),
    )


def create_organization_trail_steps(
    account_id: str, region: str, name: str, bucket: str, fixes: tuple[str, ...]
) -> tuple[Step, Step]:
    """Create a multi-region organization trail ``name`` into ``bucket`` from the management
    account, then start its logging."""
    arn_check = Check(
        "GetTrail",
        {"Name": name},
        "Trail.IsOrganizationTrail && Trail.IsMultiRegionTrail",
        NO_SUCH_TRAIL,
    )
    create = Step(
        account_id=account_id,
        region=region,
        service=Service.CLOUDTRAIL,
        operation="CreateTrail",
        parameters={
            "Name": name,
            "S3BucketName": bucket,
            "IsOrganizationTrail": True,
            "IsMultiRegionTrail": True,
            "IncludeGlobalServiceEvents": True,
            "EnableLogFileValidation": True,
        },
        description=(
            f"Create the organization trail {name} (every account, every region, global "
            f"service events, log file validation) into {bucket}."
        ),
        fixes=fixes,
        check=arn_check,
    )
    start = Step(
        account_id=account_id,
        region=region,
        service=Service.CLOUDTRAIL,
        operation="StartLogging",
        parameters={"Name": name},
        description=f"Start logging on the organization trail {name}.",
        fixes=fixes,
        check=Check("GetTrailStatus", {"Name": name}, "IsLogging", NO_SUCH_TRAIL),
    )
    return create, start
