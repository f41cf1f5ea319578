"""Figures shared by the Excel and HTML reports, computed once from a ``ScanResult``.

Counts by status and reason code, the per-account and per-bucket tables and the coverage rows
live here so that the workbook and the page can never disagree. The findings are aggregated
with pandas over ``orgscan.findings.findings_frame``; everything returned is plain Python data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, TypeVar

import pandas as pd

from orgscan.findings import findings_frame
from orgscan.model import (
    AccountCoverage,
    AccountState,
    ReasonCode,
    ScanError,
    ScanResult,
    Status,
)
from orgscan.wording import plural

#: The order in which statuses are counted and shown.
STATUS_ORDER: tuple[Status, ...] = (Status.PASS, Status.WARN, Status.FAIL, Status.ERROR)


_E = TypeVar("_E", Status, ReasonCode)


@dataclass(frozen=True)
class AccountSummary:
    """One account of the per-account table: its trails and their verdicts."""

    account_id: str
    name: str | None
    ou_path: str | None
    state: str
    scanned: bool
    trails: int
    counts: Mapping[Status, int]
    #: None when the account was not scanned: nothing can be said about it.
    compliant: bool | None
    #: Why the account is, or is not, part of the evidence.
    note: str


@dataclass(frozen=True)
class BucketSummary:
    """One unique bucket that receives CloudTrail logs, with the verdict it earned."""

    bucket_name: str
    bucket_account_id: str | None
    bucket_region: str | None
    object_lock_enabled: bool | None
    lock_mode: str | None
    retention_days: int | None
    versioning: str | None
    status: Status
    reason_code: ReasonCode
    reason: str
    trail_arns: tuple[str, ...]
    delivering_accounts: tuple[str, ...]


@dataclass(frozen=True)
class CoverageRow:
    """A row of the coverage table: an account of the organization, or an ``errors[]`` row."""

    kind: str  # "account" or "error"
    account_id: str
    name: str | None
    ou_path: str | None
    state: str | None
    scanned: bool | None
    regions_scanned: int | None
    region: str | None
    stage: str | None
    error_code: str | None
    detail: str


@dataclass(frozen=True)
class Coverage:
    """How much of the organization the evidence covers."""

    accounts_total: int
    accounts_planned: int
    accounts_scanned: int
    regions: tuple[str, ...]
    errors: int
    complete: bool


@dataclass(frozen=True)
class ReportSummary:
    """Everything both reports show besides the raw findings."""

    result: ScanResult
    started: datetime | None
    finished: datetime | None
    status_counts: Mapping[Status, int]
    reason_counts: Mapping[ReasonCode, int]
    accounts: tuple[AccountSummary, ...]
    buckets: tuple[BucketSummary, ...]
    coverage: Coverage
    coverage_rows: tuple[CoverageRow, ...]

    def account_name(self, account_id: str | None) -> str | None:
        """The organization's name for ``account_id``, when it has one."""
        return self._names.get(account_id or "")

    @cached_property
    def _names(self) -> dict[str, str | None]:
        return {account.account_id: account.name for account in self.accounts}


def summarise(result: ScanResult) -> ReportSummary:
    """Aggregate ``result`` for the reports."""
    frame = findings_frame(result.findings)
    return ReportSummary(
        result=result,
        started=parse_timestamp(result.run.started_at),
        finished=parse_timestamp(result.run.finished_at),
        status_counts=_value_counts(frame, "status", Status),
        reason_counts=_value_counts(frame, "reason_code", ReasonCode),
        accounts=_account_summaries(result, frame),
        buckets=_bucket_summaries(frame),
        coverage=_coverage(result),
        coverage_rows=_coverage_rows(result),
    )


def parse_timestamp(text: str) -> datetime | None:
    """A ``...Z`` timestamp of ``findings.json`` as a naive UTC datetime (Excel has no zones)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def display_time(text: str | None, *, seconds: bool = True) -> str:
    """A ``findings.json`` timestamp for readers: ``2026-11-27 09:01:30 UTC`` (the raw text when
    it does not parse, ``unknown`` when there is none)."""
    if not text:
        return "unknown"
    moment = parse_timestamp(text)
    if moment is None:
        return text
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC")


def plain(value: Any) -> Any:
    """A pandas/numpy scalar as the Python value a spreadsheet or template expects."""
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    if hasattr(value, "item"):  # numpy scalars: bool_, int64, ...
        return value.item()
    return value


def _value_counts(frame: pd.DataFrame, column: str, enum: type[_E]) -> dict[_E, int]:
    counts = frame[column].value_counts()
    return {member: int(counts.get(member.value, 0)) for member in enum}


def _account_summaries(result: ScanResult, frame: pd.DataFrame) -> tuple[AccountSummary, ...]:
    per_account = (
        frame.groupby("account_id")["status"].value_counts().unstack(fill_value=0).to_dict("index")
    )
    known = {account.account_id: account for account in result.accounts}
    # A trail owner missing from accounts[] (a single-account run) still gets its row.
    owners = [a for a in dict.fromkeys(frame["account_id"].tolist()) if a not in known]
    rows = [(account, coverage_note(account)) for account in result.accounts] + [
        (
            AccountCoverage(
                account_id=owner,
                name=None,
                ou_path=None,
                state="",
                scanned=True,
                regions_scanned=0,
                error_code=None,
            ),
            "owns trails the scan read",
        )
        for owner in owners
    ]
    summaries = []
    for account, note in rows:
        found = per_account.get(account.account_id, {})
        counts = {status: int(found.get(status.value, 0)) for status in STATUS_ORDER}
        failing = counts[Status.WARN] + counts[Status.FAIL] + counts[Status.ERROR]
        summaries.append(
            AccountSummary(
                account_id=account.account_id,
                name=account.name,
                ou_path=account.ou_path,
                state=account.state,
                scanned=account.scanned,
                trails=sum(counts.values()),
                counts=counts,
                compliant=(failing == 0) if account.scanned else None,
                note=note,
            )
        )
    return tuple(summaries)


def _bucket_summaries(frame: pd.DataFrame) -> tuple[BucketSummary, ...]:
    if frame.empty:
        return ()
    ranked = frame.assign(_rank=frame["status"].map(lambda status: Status(status).urgency))
    # The most urgent finding speaks for the bucket (they normally all agree).
    worst = ranked.sort_values(["_rank", "bucket_name"], kind="stable").drop_duplicates(
        "bucket_name"
    )
    # Each bucket's trails and accounts, in one pass over three columns (a groupby makes a
    # frame per bucket: seconds at 10,000 accounts). Findings without a bucket name have none.
    arns: dict[str, list[str]] = {}
    owners: dict[str, set[str]] = {}
    columns = (frame[name].tolist() for name in ("bucket_name", "trail_arn", "account_id"))
    for name, arn, account in zip(*columns, strict=True):
        if plain(name) is not None:
            arns.setdefault(str(name), []).append(arn)
            owners.setdefault(str(name), set()).add(account)
    trails = {name: tuple(sorted(found)) for name, found in arns.items()}
    accounts = {name: tuple(sorted(found)) for name, found in owners.items()}
    buckets = []
    for record in worst.sort_values(["_rank", "bucket_name"], kind="stable").to_dict("records"):
        name = record["bucket_name"]
        buckets.append(
            BucketSummary(
                bucket_name=name,
                bucket_account_id=plain(record["bucket_account_id"]),
                bucket_region=plain(record["bucket_region"]),
                object_lock_enabled=plain(record["object_lock_enabled"]),
                lock_mode=plain(record["lock_mode"]),
                retention_days=plain(record["retention_days"]),
                versioning=plain(record["versioning"]),
                status=Status(record["status"]),
                reason_code=ReasonCode(record["reason_code"]),
                reason=record["reason"],
                trail_arns=trails[name],
                delivering_accounts=accounts[name],
            )
        )
    return tuple(buckets)


def _coverage(result: ScanResult) -> Coverage:
    accounts = result.accounts
    return Coverage(
        accounts_total=len(accounts),
        # Planned: the accounts the scan set out to read (scanned, or tried and failed).
        accounts_planned=sum(1 for a in accounts if a.scanned or a.error_code is not None),
        accounts_scanned=sum(1 for a in accounts if a.scanned),
        regions=result.run.regions,
        errors=len(result.errors),
        complete=result.run.complete,
    )


def coverage_note(account: AccountCoverage) -> str:
    """Why an account is, or is not, part of the evidence, in a few words."""
    if account.scanned:
        return f"scanned in {plural(account.regions_scanned, 'region')}"
    if account.error_code is not None:
        return f"not scanned: {account.error_code}"
    if account.state != AccountState.ACTIVE:
        return f"not scanned: account is {account.state}"
    return "not scanned: outside the selected scope"


def _coverage_rows(result: ScanResult) -> tuple[CoverageRow, ...]:
    rows = [
        CoverageRow(
            kind="account",
            account_id=a.account_id,
            name=a.name,
            ou_path=a.ou_path,
            state=a.state,
            scanned=a.scanned,
            regions_scanned=a.regions_scanned,
            region=None,
            stage=None,
            error_code=a.error_code,
            detail=coverage_note(a),
        )
        for a in result.accounts
    ]
    names = {a.account_id: a for a in result.accounts}
    rows.extend(_error_row(error, names.get(error.account_id)) for error in result.errors)
    return tuple(rows)


def _error_row(error: ScanError, account: AccountCoverage | None) -> CoverageRow:
    return CoverageRow(
        kind="error",
        account_id=error.account_id,
        name=account.name if account else None,
        ou_path=account.ou_path if account else None,
        state=None,
        scanned=None,
        regions_scanned=None,
        region=error.region,
        stage=error.stage.value,
        error_code=error.error_code,
        detail=error.message,
    )
