"""``findings-asff.json``: the results as AWS Security Finding Format, for Security Hub.

``{"Findings": [...]}`` is the input of Security Hub's ``BatchImportFindings`` (at most 100
findings a call: ``orgscan publish`` sends it in batches). ``ProductArn`` and ``AwsAccountId``
name the account that ran the scan (the one that imports), ``ProductArn`` the first scanned
region; ``publish`` rewrites the region for the one it imports into.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

from orgscan.jsonstream import LazyArray, json_pieces, utf8
from orgscan.model import ScanResult, Status
from orgscan.reports import ReportInputs, StreamedReport
from orgscan.reports.export_items import ExportItem, ExportItems, finished_at

SCHEMA_VERSION = "2018-10-08"
FINDING_TYPE = "Software and Configuration Checks/Industry and Regulatory Standards"
# ASFF's four compliance states. ASFF's WARNING means "some information is missing or this
# check is not supported", not a weaker result: orgscan's WARN (a lock that protects no log
# file, tolerated by require_default_retention = false) is FAILED, as in OCSF, and the
# ProductFields keep "WARN". ERROR (could not tell) is NOT_AVAILABLE ("API error").
COMPLIANCE_STATUS = {
    Status.PASS: "PASSED",
    Status.WARN: "FAILED",
    Status.FAIL: "FAILED",
    Status.ERROR: "NOT_AVAILABLE",
}
ACTIVE = "ACTIVE"
#: A result of an earlier import that is gone now (its trail or account no longer exists).
ARCHIVED = "ARCHIVED"
_MAX_REQUIREMENTS = 32  # the ASFF limit on Compliance.RelatedRequirements


class AsffReport(StreamedReport):
    """One ASFF finding per finding and per account verdict."""

    name = "asff"
    filename = "findings-asff.json"

    def stream(self, inputs: ReportInputs) -> Iterator[bytes]:
        """``{"Findings": [...]}`` as indented UTF-8 JSON, each object made as it is written."""
        items, convert = _asff(inputs.result)
        return utf8(json_pieces({"Findings": LazyArray(items, convert)}))


def asff_findings(result: ScanResult) -> list[dict[str, Any]]:
    """The ASFF objects of ``result``."""
    items, convert = _asff(result)
    return [convert(item) for item in items]


def _asff(result: ScanResult) -> tuple[ExportItems, Callable[[ExportItem], dict[str, Any]]]:
    """The items of ``result`` and what makes each one's ASFF object."""
    caller = result.run.caller_arn.split(":")
    caller_account = caller[4] if len(caller) > 4 and caller[4] else "000000000000"
    region = result.run.regions[0] if result.run.regions else "us-east-1"
    seen = asff_time(result)
    convert = functools.partial(
        _finding, result=result, caller_account=caller_account, region=region, seen=seen
    )
    return ExportItems(result), convert


def asff_time(result: ScanResult) -> str:
    """The run's end in ASFF's timestamp format (when every exported result is "seen")."""
    return finished_at(result).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def product_arn(partition: str, region: str, account_id: str) -> str:
    """The ARN of the default product of ``account_id`` (findings a customer imports)."""
    return f"arn:{partition}:securityhub:{region}:{account_id}:product/{account_id}/default"


#: The longest value Security Hub keeps in a ProductFields entry.
_MAX_FIELD = 2048


def _finding(
    item: ExportItem, result: ScanResult, caller_account: str, region: str, seen: str
) -> dict[str, Any]:
    passed = item.status is Status.PASS
    # The Conformity rule this check implements rates it Medium; like Security Hub's own
    # control findings, a passed check is informational.
    severity = {"Label": "INFORMATIONAL" if passed else "MEDIUM", "Original": "Medium"}
    types = [FINDING_TYPE]
    return {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": item.uid,
        "ProductArn": product_arn(item.partition, region, caller_account),
        "ProductName": "orgscan",
        "CompanyName": "orgscan",
        "GeneratorId": item.generator,
        # BatchImportFindings with the default product ARN takes only findings whose
        # AwsAccountId is the importing account: the account the result is about is in the
        # resources' ARNs and in ProductFields.
        "AwsAccountId": caller_account,
        "Region": item.region,
        "Types": types,
        "FirstObservedAt": seen,
        "LastObservedAt": seen,
        "CreatedAt": seen,
        "UpdatedAt": seen,
        "Severity": severity,
        # "Finding providers use FindingProviderFields to provide and update their own values
        # for [...] severity, and types" (the securityhub model): the top-level ones are also
        # what customers change with BatchUpdateFindings, so ours go in both.
        "FindingProviderFields": {"Severity": dict(severity), "Types": list(types)},
        "Title": item.title[:256],
        "Description": item.description[:1024] or item.title[:1024],
        "ProductFields": {
            "orgscan/run_id": result.run.run_id or "",
            "orgscan/account_id": item.account_id,
            "orgscan/status": item.status.value,
            "orgscan/code": item.code,
            **{f"orgscan/{name}": value[:_MAX_FIELD] for name, value in item.details},
        },
        "Resources": [
            {
                "Type": resource.asff_type,
                "Id": resource.uid,
                "Partition": item.partition,
                "Region": resource.region,
            }
            for resource in item.resources
        ],
        "Compliance": {
            "Status": COMPLIANCE_STATUS[item.status],
            "RelatedRequirements": list(item.requirements[:_MAX_REQUIREMENTS]),
            "StatusReasons": [{"ReasonCode": item.code, "Description": item.description[:2048]}],
        },
        "RecordState": ACTIVE,
    }
