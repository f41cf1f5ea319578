"""Plan entries for what the account verdicts find (contract §5.1): trails that do not record
fully, and accounts with no trail at all in a region.

A bucket entry makes a trail's bucket pass; an account can still be unrecorded after every one
of them. Here each gap's ``why`` becomes the change that closes it, on the trail that came
closest (the trails that record the account and region and fall short for that reason), one
entry per trail holding every change that trail needs:

- ``NOT_LOGGING``: ``StartLogging``;
- ``MANAGEMENT_EVENTS``, ``EXCLUDED_SOURCES``: ``PutEventSelectors`` recording every management
  event from every source;
- ``NO_GLOBAL_EVENTS``: ``UpdateTrail`` with global service events;
- ``NO_TRAIL``: the organization trail made multi-region (from the management account), or,
  without one, an organization trail created into the organization's most used passing bucket;
- ``NOT_DELIVERING``: advice only, with the reads that find the cause (bucket policy, KMS key
  policy); a bucket policy that refuses CloudTrail (AccessDenied) is the bucket's ``DELIVERY``
  integrity entry's fix (``policy_fixes``).

``BUCKET`` gaps are the bucket entries' business and ``UNREADABLE`` ones are "could not tell".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from orgscan.model import Finding, GapWhy, ManagementEvents, ScanResult, Status
from orgscan.remediation.plan_model import EntryKind, PlanEntry, Step
from orgscan.remediation.policy_fixes import fixable_delivery
from orgscan.remediation.trail_steps import (
    create_organization_trail_steps,
    global_events_step,
    management_events_step,
    multi_region_step,
    start_logging_step,
)
from orgscan.verdicts import global_events_region, records_account, records_region

#: The name of the organization trail a plan creates when the organization has none.
ORGANIZATION_TRAIL_NAME = "organization-trail"
_TRAIL_GAPS = frozenset(
    {
        GapWhy.NOT_LOGGING,
        GapWhy.MANAGEMENT_EVENTS,
        GapWhy.EXCLUDED_SOURCES,
        GapWhy.NOT_DELIVERING,
        GapWhy.NO_GLOBAL_EVENTS,
    }
)
#: The order the changes run in: the trail's settings first, logging last, so that a trail
#: started by the plan records fully from its first event.
_ORDER = (
    GapWhy.NO_TRAIL,
    GapWhy.NO_GLOBAL_EVENTS,
    GapWhy.MANAGEMENT_EVENTS,
    GapWhy.EXCLUDED_SOURCES,
    GapWhy.NOT_LOGGING,
    GapWhy.NOT_DELIVERING,
)


def trail_shortfalls(finding: Finding, region: str) -> set[GapWhy]:
    """Everything that keeps ``finding``'s trail from recording ``region`` fully (not only the
    first, as the verdict names): a plan that fixes one leaves none of the others behind."""
    found: set[GapWhy] = set()
    if finding.is_logging is False:
        found.add(GapWhy.NOT_LOGGING)
    if finding.management_events is ManagementEvents.PARTIAL:
        found.add(GapWhy.EXCLUDED_SOURCES)
    elif finding.management_events not in (None, ManagementEvents.ALL):
        found.add(GapWhy.MANAGEMENT_EVENTS)
    if finding.delivering is False:
        found.add(GapWhy.NOT_DELIVERING)
    if region == global_events_region(region) and finding.global_service_events is False:
        found.add(GapWhy.NO_GLOBAL_EVENTS)
    return found


def as_recorded(finding: Finding, gaps: Iterable[GapWhy]) -> Finding:
    """``finding`` as its trail reads once a recording entry closing ``gaps`` has run (what
    the ranking of the plan counts as closed; the bucket is another entry's business)."""
    closing = set(gaps)
    changes: dict[str, object] = {}
    if GapWhy.NO_TRAIL in closing:
        changes |= {"is_multi_region": True, "global_service_events": True}
    if GapWhy.NO_GLOBAL_EVENTS in closing:
        changes["global_service_events"] = True
    if {GapWhy.MANAGEMENT_EVENTS, GapWhy.EXCLUDED_SOURCES} & closing:
        changes["management_events"] = ManagementEvents.ALL
    if GapWhy.NOT_LOGGING in closing:
        changes["is_logging"] = True
    return replace(finding, **changes)  # type: ignore[arg-type]


def recording_entries(result: ScanResult) -> list[PlanEntry]:
    """One entry per trail that must record more, plus one to create an organization trail
    when some account has a region no trail records and the organization has none."""
    needs: dict[str, dict[GapWhy, set[str]]] = {}
    unrecorded: set[str] = set()
    for account in result.accounts:
        for gap in account.gaps:
            if gap.why is GapWhy.NO_TRAIL:
                unrecorded.add(account.account_id)
            elif gap.why in _TRAIL_GAPS:
                for finding in result.findings:
                    if (
                        records_account(finding, account.account_id)
                        and records_region(finding, gap.region)
                        and gap.why in trail_shortfalls(finding, gap.region)
                    ):
                        whys = needs.setdefault(finding.trail_arn, {})
                        for why in trail_shortfalls(finding, gap.region):
                            whys.setdefault(why, set()).add(account.account_id)
    entries: list[PlanEntry] = []
    if unrecorded:
        organization_trail = _organization_trail(result.findings)
        if organization_trail is None:
            entries.append(_create_entry(result, sorted(unrecorded)))
        else:
            whys = needs.setdefault(organization_trail.trail_arn, {})
            whys.setdefault(GapWhy.NO_TRAIL, set()).update(unrecorded)
            for region in result.run.regions:
                for why in trail_shortfalls(organization_trail, region):
                    whys.setdefault(why, set()).update(unrecorded)
    by_arn = {finding.trail_arn: finding for finding in result.findings}
    for arn in sorted(needs):
        entries.append(_trail_entry(by_arn[arn], needs[arn]))
    return entries


def _organization_trail(findings: Iterable[Finding]) -> Finding | None:
    # The one to widen: readable, and multi-region ones first (already recording everywhere).
    candidates = [f for f in findings if f.is_organization_trail and f.status is not Status.ERROR]
    candidates.sort(key=lambda f: (not f.is_multi_region, f.trail_arn))
    return candidates[0] if candidates else None


def _trail_entry(finding: Finding, whys: dict[GapWhy, set[str]]) -> PlanEntry:
    steps: list[Step] = []
    warnings: list[str] = []
    ordered = [why for why in _ORDER if why in whys]
    if GapWhy.NO_TRAIL in whys:
        steps.append(multi_region_step(finding))  # global service events come with it
    elif GapWhy.NO_GLOBAL_EVENTS in whys:
        steps.append(global_events_step(finding))
    if {GapWhy.MANAGEMENT_EVENTS, GapWhy.EXCLUDED_SOURCES} & set(whys):
        steps.append(management_events_step(finding))
    if GapWhy.NOT_LOGGING in whys:
        steps.append(start_logging_step(finding))
    accounts = sorted({account for found in whys.values() for account in found})
    what = "; ".join(_WHAT[why] for why in ordered)
    explanation = (
        f"Trail {finding.trail_name} leaves {len(accounts)} account(s) unrecorded: {what}."
    )
    if GapWhy.NOT_DELIVERING in whys:
        explanation += " " + delivery_advice(finding)
    if finding.is_organization_trail and steps:
        warnings.append(
            f"An organization trail is changed only from the management account "
            f"({finding.account_id}) or the CloudTrail delegated administrator; these steps "
            "are in the management account's script."
        )
    if GapWhy.NO_TRAIL in whys:
        warnings.append(
            "A multi-region trail records every region of every account it records. The "
            "first copy of management events in a region is free; an account's own trail "
            "recording them there too is charged as an additional copy."
        )
    if finding.status is not Status.PASS:
        warnings.append(
            f"The trail's bucket {finding.bucket_name} does not pass "
            f"({finding.reason_code.value}): its own entry fixes it; until then the accounts "
            "are recorded, not protected."
        )
    return PlanEntry(
        bucket_name=finding.bucket_name,
        bucket_account_id=finding.bucket_account_id,
        acting_account_id=finding.account_id,
        region=finding.home_region,
        strategy=None,
        findings=(finding.trail_arn,),
        reason_codes=(finding.reason_code,),
        retention=None,
        new_bucket_name=None,
        steps=tuple(steps),
        explanation=explanation,
        warnings=tuple(warnings),
        kind=EntryKind.RECORDING,
        gaps=tuple(ordered),
        accounts=tuple(accounts),
    )


_WHAT = {
    GapWhy.NO_TRAIL: "no trail records some of their regions, so make it multi-region",
    GapWhy.NO_GLOBAL_EVENTS: "it records no global service events, so include them",
    GapWhy.MANAGEMENT_EVENTS: "it does not record every management event, so record them all",
    GapWhy.EXCLUDED_SOURCES: "it excludes event sources, so record them all",
    GapWhy.NOT_LOGGING: "it is stopped, so start logging",
    GapWhy.NOT_DELIVERING: "CloudTrail cannot deliver its logs (advice only)",
}


def delivery_advice(finding: Finding) -> str:
    """What to check when CloudTrail cannot deliver the trail's logs, with the read commands
    (nothing here changes anything)."""
    owner = finding.bucket_account_id or "<bucket owner>"
    reads = [
        f"aws cloudtrail get-trail-status --name {finding.trail_arn} --region "
        f"{finding.home_region}",
        f"aws s3api get-bucket-policy --bucket {finding.bucket_name} "
        f"--expected-bucket-owner {owner}",
    ]
    if finding.kms_key_arn:
        key_region = finding.kms_key_arn.split(":")[3] or finding.home_region
        reads += [
            f"aws kms describe-key --key-id {finding.kms_key_arn} --region {key_region}",
            f"aws kms get-key-policy --key-id {finding.kms_key_arn} --policy-name default "
            f"--region {key_region}",
        ]
    error = finding.latest_delivery_error or "an error"
    return (
        f"CloudTrail reports {error} delivering to {finding.bucket_name}: check that the "
        "bucket policy lets cloudtrail.amazonaws.com s3:GetBucketAcl and s3:PutObject under "
        "AWSLogs/ (aws:SourceArn = the trail)"
        + (
            ", and that the KMS key is enabled and its policy lets CloudTrail use it"
            if finding.kms_key_arn
            else ""
        )
        + ". Read them with: "
        + "; ".join(reads)
        + (
            ". The bucket's DELIVERY integrity entry adds CloudTrail's statements to its policy."
            if fixable_delivery(finding)
            else ". orgscan changes nothing here."
        )
    )


def _create_entry(result: ScanResult, accounts: Sequence[str]) -> PlanEntry:
    """An organization trail created from the management account, into the passing bucket most
    trails use; without one, advice only."""
    management = result.run.caller_arn.split(":")[4] if result.run.organization_id else ""
    passing: dict[str, list[Finding]] = {}
    for finding in result.findings:
        if finding.status is Status.PASS:
            passing.setdefault(finding.bucket_name, []).append(finding)
    bucket = min(passing, key=lambda name: (-len(passing[name]), name)) if passing else None
    advice = PlanEntry(
        bucket_name=bucket or "",
        bucket_account_id=None,
        acting_account_id=management or None,
        region=None,
        strategy=None,
        findings=(),
        reason_codes=(),
        retention=None,
        new_bucket_name=None,
        steps=(),
        explanation=(
            "No trail records some regions of these accounts and the organization has no "
            "organization trail. Create one from the management account (multi-region, "
            "global service events) into a bucket with Object Lock and a default retention, "
            "then scan again."
        ),
        kind=EntryKind.RECORDING,
        gaps=(GapWhy.NO_TRAIL,),
        accounts=tuple(accounts),
    )
    if not management or bucket is None:
        return advice
    first = passing[bucket][0]
    region = global_events_region(first.bucket_region or first.home_region)
    steps = create_organization_trail_steps(management, region, ORGANIZATION_TRAIL_NAME, bucket, ())
    return replace(
        advice,
        bucket_account_id=first.bucket_account_id,
        region=region,
        steps=steps,
        explanation=(
            f"No trail records some regions of {len(accounts)} account(s) and the organization "
            f"has no organization trail: create {ORGANIZATION_TRAIL_NAME} from the management "
            f"account into {bucket}, which passes, and start it."
        ),
        warnings=(
            f"The bucket policy of {bucket} must let CloudTrail write under "
            f"AWSLogs/{result.run.organization_id}/* (aws:SourceArn = the new trail); without "
            "it CreateTrail fails with InsufficientS3BucketPolicyException and nothing is made.",
            "Creating an organization trail needs trusted access for CloudTrail in "
            "AWS Organizations (it is enabled by the first organization trail made from the "
            "console, or with aws organizations enable-aws-service-access).",
        ),
    )
