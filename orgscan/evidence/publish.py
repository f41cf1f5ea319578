"""Importing a run's ASFF findings into AWS Security Hub, 100 at a time.

``BatchImportFindings`` takes at most 100 findings a call and answers, per call, how many it
took and which it refused (with a code): a refused finding is reported, not retried, and the
import goes on with the next batch.

What was last published is recorded in the output folder (the run folders' parent), in
``published-security-hub.json``: per importer (partition, account, region), the name of the run
folder whose findings were all taken. The run folders themselves stay as sealed. The next
publish to the same importer compares that run with the new one: a trail or account it held
that is gone now (``removed`` in ``orgscan diff``: scanned again and not there; never one that
was merely not scanned) is sent again with ``RecordState: ARCHIVED``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from orgscan.diff import DiffClass, diff_results
from orgscan.errors import InputError, UntrustedRunError
from orgscan.facts import AwsError
from orgscan.files import atomic_write
from orgscan.jsondoc import parse_json_text, read_regular_file
from orgscan.model import ScanResult
from orgscan.reports.asff_report import ARCHIVED, asff_findings, asff_time, product_arn
from orgscan.reports.export_items import account_uid, finding_uid
from orgscan.runs.folder import is_run_folder_name

BATCH_SIZE = 100
PUBLISHED_FILE = "published-security-hub.json"
#: Where an ASFF finding names the account its result is about (its owner).
OWNER_FIELD = "orgscan/account_id"


class PublishRecordError(InputError):
    """The output folder's record of what was last published cannot be read."""


@dataclass(frozen=True)
class PreviousRun:
    """The run last published to an importer, when it can still be read, or why not."""

    name: str | None
    result: ScanResult | None = None
    warning: str | None = None


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


def importer_key(partition: str, account_id: str, region: str) -> str:
    """How the record names an importer: findings archived in one region or account say
    nothing of another's."""
    return f"{partition}/{account_id}/{region}"


def _read_record(output_dir: Path) -> dict[str, Any]:
    path = output_dir / PUBLISHED_FILE
    if not path.exists():
        return {}
    try:
        text = read_regular_file(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise PublishRecordError(f"{path}: cannot be read ({exc})") from None
    document = parse_json_text(text, str(path), PublishRecordError)
    targets = document.get("targets") if isinstance(document, dict) else None
    if not isinstance(targets, dict):
        raise PublishRecordError(f'{path}: needs a "targets" object')
    return targets


def last_published(output_dir: Path, key: str) -> str | None:
    """The name of the run folder last published to ``key`` from ``output_dir``, if any."""
    entry = _read_record(output_dir).get(key)
    name = entry.get("run") if isinstance(entry, dict) else None
    return name if isinstance(name, str) and is_run_folder_name(name) else None


def record_published(output_dir: Path, key: str, run_name: str) -> None:
    """Record that every finding of ``run_name`` was taken by ``key`` (atomically)."""
    targets = _read_record(output_dir)
    when = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    targets[key] = {"run": run_name, "published_at": when}
    document = {"version": 1, "targets": dict(sorted(targets.items()))}
    atomic_write(output_dir / PUBLISHED_FILE, json.dumps(document, indent=2) + "\n")


def previous_run(output_dir: Path, key: str, current: str) -> PreviousRun:
    """The run last published to ``key``, read only if it still matches its manifest: a run
    that cannot be trusted archives nothing (said in ``warning``), it never stops a publish."""
    from orgscan.evidence.trust import trusted_run  # the trust rule imports the replay code

    name = last_published(output_dir, key)
    if name is None or name == current:
        return PreviousRun(name)
    try:
        run = trusted_run(output_dir / name, purpose="archive what it published")
    except (InputError, UntrustedRunError) as exc:
        return PreviousRun(name, warning=f"nothing archived: {exc}")
    if run.warning is not None:
        return PreviousRun(name, warning=f"nothing archived: {run.warning}")
    return PreviousRun(name, run.result)


def archived_findings(previous: ScanResult, current: ScanResult) -> list[dict[str, Any]]:
    """``previous``'s ASFF findings of the trails and accounts gone from ``current``, marked
    ``ARCHIVED`` and updated at ``current``'s time. A trail or account that was only not
    scanned this time is not gone (``orgscan diff``'s ``not_assessed``)."""
    diff = diff_results(previous, current)
    gone = {finding_uid(entry.trail_arn) for entry in diff.of_class(DiffClass.REMOVED)}
    gone |= {
        account_uid(entry.account_id)
        for entry in diff.accounts
        if entry.diff_class is DiffClass.REMOVED
    }
    seen = asff_time(current)
    return [
        {**finding, "RecordState": ARCHIVED, "UpdatedAt": seen}
        for finding in asff_findings(previous)
        if finding["Id"] in gone
    ]


def by_owner(findings: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """``findings`` grouped by the account each is about (a trail's owner, a verdict's
    account), sorted by account id."""
    owners: dict[str, list[dict[str, Any]]] = {}
    for finding in findings:
        owners.setdefault(str(finding["ProductFields"][OWNER_FIELD]), []).append(finding)
    return dict(sorted(owners.items()))
