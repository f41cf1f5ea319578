"""An incremental run: the base run with the rescanned accounts replaced, and its evidence.

The result keeps the base run's accounts, findings and errors except where the rescan speaks:
the rescanned accounts' rows, every trail the rescan found (the organization trail, seen from a
rescanned member, included), and the organization's accounts as the rescan listed them (an
account removed since is dropped, a new one appears). Account verdicts are then derived again
for every account, from the merged findings: a bucket that lost its lock unprotects every
account whose trails deliver to it, rescanned or not.

The evidence file is the rescan's answers followed by the base run's answers to the questions
the rescan did not ask again, so ``verify --recompute`` gives the merged findings. A question is
what the replay indexes an answer by (``evidence.evidence_file``): the trails of an account in a
region, an account's bucket listing, one bucket read by one account, one trail's health; a
rescanned account's trail listings are all replaced, whichever regions the rescan reached.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from orgscan.aws.recorder import EVIDENCE_FILE, read_records
from orgscan.evidence.evidence_file import HEALTH_OPERATIONS, load_evidence
from orgscan.evidence.recompute import account_regions
from orgscan.files import atomic_write
from orgscan.model import (
    AccountCoverage,
    ErrorStage,
    RunKind,
    ScanError,
    ScanResult,
)
from orgscan.verdicts import with_verdicts


def merge_runs(
    base: ScanResult, base_dir: Path, rescan: ScanResult, run_dir: Path, rescanned: frozenset[str]
) -> ScanResult:
    """The incremental run ``run_dir`` holds: ``rescan`` (of the accounts ``rescanned``)
    merged into ``base`` (the run of ``base_dir``); its evidence file is rewritten merged.
    ``OSError`` when the evidence cannot be written; ``ValueError`` for a damaged evidence
    file."""
    merge_evidence(base_dir / EVIDENCE_FILE, run_dir / EVIDENCE_FILE, rescanned, run_dir)
    members = {account.account_id for account in rescan.accounts}
    accounts = _accounts(base.accounts, rescan.accounts, rescanned)
    found = {finding.trail_arn for finding in rescan.findings}
    kept = [
        finding
        for finding in base.findings
        if finding.account_id not in rescanned
        and finding.account_id in members
        and finding.trail_arn not in found
    ]
    findings = sorted(
        [*kept, *rescan.findings],
        key=lambda f: (f.account_id, f.home_region, f.trail_name, f.trail_arn),
    )
    kept_errors = [
        e for e in base.errors if e.account_id not in rescanned and e.account_id in members
    ]
    errors = sorted(
        set(kept_errors) | set(rescan.errors),
        key=lambda e: (e.account_id, e.region or "", e.stage.value, e.error_code),
    )
    run = dataclasses.replace(
        rescan.run,
        kind=RunKind.INCREMENTAL,
        based_on=base.run.run_id,
        scope=base.run.scope,  # what the merged findings cover: the base run's scope
        regions=tuple(sorted(set(base.run.regions) | set(rescan.run.regions))),
        complete=rescan.run.complete and (base.run.complete or not _coverage(kept_errors)),
    )
    merged = ScanResult(run=run, accounts=accounts, findings=tuple(findings), errors=tuple(errors))
    return rejudged(merged, run_dir)


def rejudged(result: ScanResult, run_dir: Path) -> ScanResult:
    """``result`` with every account's verdict derived from its findings and the regions its
    evidence file shows read, as ``verify --recompute`` derives them."""
    evidence = load_evidence(run_dir / EVIDENCE_FILE)
    regions = account_regions(result, evidence)
    accounts = with_verdicts(result.accounts, list(result.findings), regions)
    return dataclasses.replace(result, accounts=accounts)


def merge_evidence(
    base_file: Path, new_file: Path, rescanned: frozenset[str], run_dir: Path
) -> int:
    """Rewrite ``new_file`` as its own records followed by the records of ``base_file`` that
    answer a question it does not; return how many base records were kept."""
    fresh = list(read_records(new_file))
    answered = {_question(record) for record in fresh}
    kept = [
        record
        for record in read_records(base_file)
        if _question(record) not in answered
        and not (record["operation"] == "DescribeTrails" and record["account_id"] in rescanned)
    ]
    atomic_write(new_file, _gzipped([*fresh, *kept]), within=run_dir)
    return len(kept)


def _question(record: dict[str, Any]) -> tuple[str, ...]:
    """What a recorded answer answers, as the replay indexes it (see the module)."""
    operation, account = record["operation"], record["account_id"]
    request = record["request"]
    if operation == "DescribeTrails":
        return (operation, account, record["region"])
    if operation == "ListBuckets":
        return (operation, account)
    if operation in HEALTH_OPERATIONS:
        return (operation, str(request.get(HEALTH_OPERATIONS[operation])))
    if "Bucket" in request:
        return (operation, account, str(request["Bucket"]))
    # An operation the replay does not index: the same call in the same place.
    return (operation, account, record["region"], json.dumps(request, sort_keys=True))


def _gzipped(records: Iterable[dict[str, Any]]) -> bytes:
    """The records as the recorder writes them: one sorted-key JSON line each, gzip with no
    name or time in its header."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as stream:
        for line in _lines(records):
            stream.write(line)
    return buffer.getvalue()


def _lines(records: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    for record in records:
        yield json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n"


def _accounts(
    base: tuple[AccountCoverage, ...],
    rescan: tuple[AccountCoverage, ...],
    rescanned: frozenset[str],
) -> tuple[AccountCoverage, ...]:
    """The organization as the rescan listed it: rescanned accounts as rescanned, the others
    as the base run found them (a new account as the rescan saw it: not scanned)."""
    before = {account.account_id: account for account in base}
    return tuple(
        account
        if account.account_id in rescanned or account.account_id not in before
        else before[account.account_id]
        for account in rescan
    )


def _coverage(errors: Iterable[ScanError]) -> bool:
    """True when an error row leaves coverage incomplete (an account or region not read)."""
    return any(error.stage is not ErrorStage.BUCKET for error in errors)
