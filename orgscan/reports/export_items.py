"""What the security-finding exports (ASFF, OCSF) say about each result, format-free.

One item per finding (a trail and its bucket), one per account verdict (accounts that were
not scanned have no verdict and no item), and one per failing integrity check of a trail
(contract 5.2), with that check's own requirements. Each carries the requirements it evidences
from the control mapping (``configs/controls.toml``): only those whose conditions it and its run
meet (``orgscan.reports.claims``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from orgscan.controls import AppliesTo, Control, ControlMapping, load_controls
from orgscan.model import (
    AccountCoverage,
    Finding,
    IntegrityCheck,
    IntegrityCode,
    ScanResult,
    Status,
)
from orgscan.reports.claims import (
    account_facts,
    claimed,
    exported_checks,
    finding_facts,
    integrity_facts,
)

#: Stable generator ids: Security Hub updates a finding that comes back with the same Id.
FINDING_GENERATOR = "orgscan/cloudtrail-bucket-object-lock"
ACCOUNT_GENERATOR = "orgscan/account-cloudtrail-protection"
INTEGRITY_GENERATOR = "orgscan/cloudtrail-integrity"
_FALLBACK_REGION = "us-east-1"


@dataclass(frozen=True)
class ExportResource:
    """A resource a result is about: its ARN (or account id) and where it is."""

    asff_type: str
    cloudformation_type: str
    uid: str
    name: str
    region: str


@dataclass(frozen=True)
class ExportItem:
    """One finding or account verdict, ready to be written in any export format."""

    kind: AppliesTo
    uid: str
    generator: str
    account_id: str
    region: str
    partition: str
    status: Status
    code: str
    title: str
    description: str
    resources: tuple[ExportResource, ...]
    requirements: tuple[str, ...]
    standards: tuple[str, ...]
    #: Further results about the same resource, by name (a trail's tamper status and reason,
    #: contract 5.3): reported beside the result, never deciding it.
    details: tuple[tuple[str, str], ...] = ()


class ExportItems:
    """Every finding, then every scanned account's verdict, then every exported integrity
    check, in ``result``'s order, each item made when it is reached: the exports of a
    10,000-account run have tens of thousands, never held at once. Its length is known up
    front (a JSON array's encoder asks whether it is empty)."""

    def __init__(self, result: ScanResult, mapping: ControlMapping | None = None) -> None:
        self._result = result
        self._mapping = mapping or load_controls()

    def __len__(self) -> int:
        findings = self._result.findings
        return (
            len(findings)
            + sum(1 for account in self._result.accounts if account.verdict is not None)
            + sum(len(exported_checks(finding)) for finding in findings)
        )

    def __iter__(self) -> Iterator[ExportItem]:
        result, mapping = self._result, self._mapping
        partition = _partition(result.run.caller_arn)
        run = result.run
        for finding in result.findings:
            yield _finding_item(finding, partition, claimed(mapping, finding_facts(finding, run)))
        region = run.regions[0] if run.regions else _FALLBACK_REGION
        by_arn = {finding.trail_arn: finding for finding in result.findings}
        for account in result.accounts:
            if account.verdict is not None:
                facts = account_facts(account, run, by_arn)
                yield _account_item(account, partition, region, claimed(mapping, facts))
        for finding in result.findings:
            for check in exported_checks(finding):
                facts = integrity_facts(finding, check, run)
                yield _integrity_item(finding, check, partition, claimed(mapping, facts))


def export_items(result: ScanResult, mapping: ControlMapping | None = None) -> list[ExportItem]:
    """Every finding, then every scanned account's verdict, in ``result``'s order (all at
    once; ``ExportItems`` makes them one at a time)."""
    return list(ExportItems(result, mapping))


def finding_uid(trail_arn: str) -> str:
    """The export id of a trail's finding: stable from run to run."""
    return f"{FINDING_GENERATOR}/{trail_arn}"


def integrity_uid(trail_arn: str, check: IntegrityCode) -> str:
    """The export id of a trail's failing integrity check: stable from run to run."""
    return f"{INTEGRITY_GENERATOR}/{check.value}/{trail_arn}"


def account_uid(account_id: str) -> str:
    """The export id of an account's verdict: stable from run to run."""
    return f"{ACCOUNT_GENERATOR}/{account_id}"


def finished_at(result: ScanResult) -> datetime:
    """The run's end as an aware UTC datetime (the time every exported result is "seen")."""
    text = result.run.finished_at or result.run.started_at
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return datetime(1970, 1, 1, tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _partition(arn: str) -> str:
    parts = arn.split(":")
    return parts[1] if len(parts) > 1 and parts[1] else "aws"


def _labels(controls: tuple[Control, ...]) -> tuple[str, ...]:
    return tuple(control.label for control in controls)


def _standards(controls: tuple[Control, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(control.framework for control in controls))


def _finding_item(finding: Finding, partition: str, controls: tuple[Control, ...]) -> ExportItem:
    return ExportItem(
        kind=AppliesTo.FINDING,
        uid=finding_uid(finding.trail_arn),
        generator=FINDING_GENERATOR,
        account_id=finding.account_id,
        region=finding.home_region,
        partition=partition,
        status=finding.status,
        code=finding.reason_code.value,
        title=f"CloudTrail trail {finding.trail_name}: log bucket {finding.bucket_name} "
        f"{_bucket_outcome(finding.status)}",
        description=finding.reason,
        resources=(_trail_resource(finding), _bucket_resource(finding, partition)),
        requirements=_labels(controls),
        standards=_standards(controls),
        details=_tamper_details(finding),
    )


def _tamper_details(finding: Finding) -> tuple[tuple[str, str], ...]:
    """Who can weaken the trail's protection, as assessed (nothing when it was not)."""
    if finding.tamper_status is None:
        return ()
    return (
        ("tamper_status", finding.tamper_status.value),
        ("tamper_reason", finding.tamper_reason or ""),
    )


def _integrity_item(
    finding: Finding, check: IntegrityCheck, partition: str, controls: tuple[Control, ...]
) -> ExportItem:
    trail = _trail_resource(finding)
    # What the check is about, beside the trail: its key, or its bucket.
    if check.check is IntegrityCode.KMS_KEY and finding.kms_key_arn:
        region = finding.kms_key_arn.split(":")[3] or finding.home_region
        about = ExportResource(
            "AwsKmsKey", "AWS::KMS::Key", finding.kms_key_arn, finding.kms_key_arn, region
        )
    else:
        about = _bucket_resource(finding, partition)
    resources = (trail,) if check.check is IntegrityCode.LOG_FILE_VALIDATION else (trail, about)
    return ExportItem(
        kind=AppliesTo.INTEGRITY,
        uid=integrity_uid(finding.trail_arn, check.check),
        generator=INTEGRITY_GENERATOR,
        account_id=finding.account_id,
        region=finding.home_region,
        partition=partition,
        status=check.status,
        code=check.check.value,
        title=f"CloudTrail trail {finding.trail_name}: integrity check {check.check.value} "
        f"{'fails' if check.status is Status.FAIL else check.status.value}",
        description=check.detail[:1024],
        resources=resources,
        requirements=_labels(controls),
        standards=_standards(controls),
    )


def _trail_resource(finding: Finding) -> ExportResource:
    """The trail as a resource of an exported result."""
    return ExportResource(
        "AwsCloudTrailTrail",
        "AWS::CloudTrail::Trail",
        finding.trail_arn,
        finding.trail_name,
        finding.home_region,
    )


def _bucket_resource(finding: Finding, partition: str) -> ExportResource:
    """The trail's bucket as a resource of an exported result."""
    return ExportResource(
        "AwsS3Bucket",
        "AWS::S3::Bucket",
        f"arn:{partition}:s3:::{finding.bucket_name}",
        finding.bucket_name,
        finding.bucket_region or finding.home_region,
    )


def _bucket_outcome(status: Status) -> str:
    return {
        Status.PASS: "is protected by Object Lock",
        Status.WARN: "is only partly protected by Object Lock",
        Status.FAIL: "is not protected by Object Lock",
        Status.ERROR: "could not be checked",
    }[status]


def _account_item(
    account: AccountCoverage, partition: str, region: str, controls: tuple[Control, ...]
) -> ExportItem:
    status = account.verdict or Status.ERROR
    code = account.verdict_code.value if account.verdict_code else "UNKNOWN"
    # Each gap names what is missing there (why), so a reader of the export knows what to
    # change; runs from before contract v3 have no why.
    gaps = ", ".join(
        f"{gap.region} {gap.code.value}" + (f" ({gap.why.value})" if gap.why else "")
        for gap in account.gaps
    )
    description = (
        f"Account {account.account_id}: verdict {status.value} ({code}). "
        + (f"Regions not protected: {gaps}. " if gaps else "")
        + (
            f"Protected by: {', '.join(account.protected_by)}."
            if account.protected_by
            else "No trail protects it."
        )
    )
    return ExportItem(
        kind=AppliesTo.ACCOUNT,
        uid=account_uid(account.account_id),
        generator=ACCOUNT_GENERATOR,
        account_id=account.account_id,
        region=region,
        partition=partition,
        status=status,
        code=code,
        title=f"Account {account.name or account.account_id}: activity "
        f"{'is' if status is Status.PASS else 'is not'} recorded into a locked bucket in "
        "every scanned region",
        description=description[:1024],
        resources=(
            ExportResource(
                "AwsAccount",
                "AWS::::Account",
                f"AWS::::Account:{account.account_id}",
                account.name or account.account_id,
                region,
            ),
        ),
        requirements=_labels(controls),
        standards=_standards(controls),
    )
