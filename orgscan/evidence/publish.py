"""Importing a run's ASFF findings into AWS Security Hub, 100 at a time.

``BatchImportFindings`` takes at most 100 findings a call and answers, per call, how many it
took and which it refused (with a code): a refused finding is reported, not retried, and the
import goes on with the next batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from orgscan.facts import AwsError
from orgscan.reports.asff_report import product_arn

BATCH_SIZE = 100


class PublishError(Exception):
    """Security Hub refused a whole call (not enabled, access denied, throttled out)."""


@dataclass(frozen=True)
class PublishOutcome:
    """How many findings Security Hub took, and the ones it refused: (Id, code, message)."""

    imported: int
    batches: int
    failed: list[tuple[str, str, str]] = field(default_factory=list)


def for_importer(
    findings: list[dict[str, Any]], partition: str, region: str, account_id: str
) -> list[dict[str, Any]]:
    """``findings`` as ``account_id`` imports them into ``region`` through its default
    product: ``ProductArn`` and ``AwsAccountId`` name the importer."""
    arn = product_arn(partition, region, account_id)
    return [{**finding, "ProductArn": arn, "AwsAccountId": account_id} for finding in findings]


def publish_findings(client: Any, findings: list[dict[str, Any]]) -> PublishOutcome:
    """Send ``findings`` with ``client`` (a Security Hub client) in batches of 100."""
    imported = 0
    batches = 0
    failed: list[tuple[str, str, str]] = []
    for start in range(0, len(findings), BATCH_SIZE):
        batch = findings[start : start + BATCH_SIZE]
        try:
            reply = client.batch_import_findings(Findings=batch)
        except (ClientError, BotoCoreError) as exc:
            error = AwsError.of(exc)
            raise PublishError(
                f"BatchImportFindings failed after {imported} findings: "
                f"{error.code}: {error.message}"
            ) from None
        batches += 1
        imported += int(reply.get("SuccessCount") or 0)
        refused = reply.get("FailedFindings") or []
        failed += [
            (
                str(item.get("Id", "")),
                str(item.get("ErrorCode", "")),
                str(item.get("ErrorMessage", "")),
            )
            for item in refused
        ]
    return PublishOutcome(imported=imported, batches=batches, failed=failed)
