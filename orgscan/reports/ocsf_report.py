"""``findings-ocsf.json``: the results as OCSF Compliance Finding events (class_uid 2003).

A JSON array, one event per finding and per account verdict. ``compliance.status_id`` follows
OCSF: Pass 1, Fail 3, and Warning 2 for a check that "did not yield a result due to missing
information" (orgscan's ERROR). orgscan's WARN, a lock that protects no log file which the policy
tolerates, is Fail 3, as in the ASFF export (FAILED); ``status_detail`` keeps WARN.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

from orgscan import __version__
from orgscan.controls import load_controls
from orgscan.jsonstream import LazyArray, json_pieces, utf8
from orgscan.model import ScanResult, Status
from orgscan.reports import ReportInputs, StreamedReport
from orgscan.reports.export_items import ExportItem, ExportItems, finished_at

OCSF_VERSION = "1.5.0"
CLASS_UID = 2003  # Compliance Finding
CATEGORY_UID = 2  # Findings
ACTIVITY_CREATE = 1
SEVERITY_IDS = {"INFORMATIONAL": 1, "LOW": 2, "MEDIUM": 3, "HIGH": 4, "CRITICAL": 5}
COMPLIANCE_STATUS_ID = {Status.PASS: 1, Status.ERROR: 2, Status.FAIL: 3, Status.WARN: 3}
FINDING_STATUS_NEW = 1
FINDING_STATUS_RESOLVED = 4


class OcsfReport(StreamedReport):
    """One OCSF Compliance Finding per finding and per account verdict."""

    name = "ocsf"
    filename = "findings-ocsf.json"

    def stream(self, inputs: ReportInputs) -> Iterator[bytes]:
        """The JSON array as indented UTF-8, each event made as it is written."""
        items, convert = _ocsf(inputs.result)
        return utf8(json_pieces(LazyArray(items, convert)))


def ocsf_events(result: ScanResult) -> list[dict[str, Any]]:
    """The OCSF events of ``result``."""
    items, convert = _ocsf(result)
    return [convert(item) for item in items]


def _ocsf(result: ScanResult) -> tuple[ExportItems, Callable[[ExportItem], dict[str, Any]]]:
    """The items of ``result`` and what makes each one's OCSF event."""
    mapping = load_controls()
    convert = functools.partial(
        _event,
        result=result,
        check_title=mapping.title,
        severity=mapping.severity.upper(),
        time_ms=int(finished_at(result).timestamp() * 1000),
    )
    return ExportItems(result, mapping), convert


def _event(
    item: ExportItem, result: ScanResult, check_title: str, severity: str, time_ms: int
) -> dict[str, Any]:
    passed = item.status is Status.PASS
    severity_id = SEVERITY_IDS["INFORMATIONAL"] if passed else SEVERITY_IDS.get(severity, 99)
    return {
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Compliance Finding",
        "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE,
        "type_name": "Compliance Finding: Create",
        "time": time_ms,
        "severity_id": severity_id,
        "severity": "Informational" if passed else severity.capitalize(),
        "status_id": FINDING_STATUS_RESOLVED if passed else FINDING_STATUS_NEW,
        "status_code": item.code,
        "status_detail": item.status.value,
        **({"unmapped": dict(item.details)} if item.details else {}),
        "message": item.description,
        "metadata": {
            "version": OCSF_VERSION,
            "product": {"name": "orgscan", "vendor_name": "orgscan", "version": __version__},
            "uid": f"{result.run.run_id}/{item.uid}" if result.run.run_id else item.uid,
            "correlation_uid": result.run.run_id or None,
        },
        "finding_info": {
            "uid": item.uid,
            "title": item.title,
            "desc": item.description,
            "types": [item.generator],
            "created_time": time_ms,
        },
        "compliance": {
            "control": check_title,
            "requirements": list(item.requirements),
            "standards": list(item.standards),
            "status_id": COMPLIANCE_STATUS_ID[item.status],
            "desc": item.description,
        },
        "resources": [
            {
                "uid": resource.uid,
                "name": resource.name,
                "type": resource.cloudformation_type,
                "region": resource.region,
                "cloud_partition": item.partition,
                "data": {"account_id": item.account_id},
            }
            for resource in item.resources
        ],
        "cloud": {
            "provider": "AWS",
            "region": item.region,
            "account": {"uid": item.account_id, "type": "AWS Account", "type_id": 10},
        },
    }
