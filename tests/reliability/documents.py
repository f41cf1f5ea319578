"""Scan results built by hand (no AWS) for the report, script and run-folder tests.

``sample_result`` gives a small, valid result with one finding per interesting reason; its
free-text fields (account names, trail names, reasons, error messages) can be replaced with
hostile text, as AWS would hand it over. ``paths``, ``changed`` and ``containers`` help to
fuzz JSON documents.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

from orgscan.model import (
    AccountCoverage,
    ErrorStage,
    Finding,
    LockMode,
    Policy,
    ReasonCode,
    RunInfo,
    ScanError,
    ScanResult,
    Versioning,
)
from tests.builders import finding

MANAGEMENT = "111111111111"
WORKLOAD = "333333333333"
OTHER = "444444444444"

Path = tuple[str | int, ...]


def _finding(account: str, name: str, reason: ReasonCode, text: str, **fields: Any) -> Finding:
    locked = reason not in (ReasonCode.LOCK_NOT_CONFIGURED, ReasonCode.API_ERROR)
    values: dict[str, Any] = {
        "account_id": account,
        "trail_name": name,
        "object_lock_enabled": locked,
        "lock_mode": LockMode.GOVERNANCE if locked else None,
        "retention_days": 30 if locked else None,
        "versioning": Versioning.ENABLED if locked else Versioning.OFF,
        "reason_code": reason,
        "reason": text,
    }
    return dataclasses.replace(finding(**values), **fields)


def sample_result(
    *,
    account_name: str = "workload",
    trail_name: str = "main-trail",
    text: str = "A sentence.",
    bucket_name: str | None = None,
) -> ScanResult:
    """A complete scan with an unlocked, a short-retention and an unreadable bucket, one
    error row, and ``account_name`` / ``trail_name`` / ``text`` wherever AWS text goes."""
    policy = Policy(min_retention_days=90)
    extra = {"bucket_name": bucket_name} if bucket_name else {}
    findings = (
        _finding(WORKLOAD, trail_name, ReasonCode.LOCK_NOT_CONFIGURED, text, **extra),
        _finding(WORKLOAD, "short-trail", ReasonCode.RETENTION_TOO_SHORT, text),
        _finding(
            OTHER,
            "other-trail",
            ReasonCode.API_ERROR,
            text,
            object_lock_enabled=None,
            versioning=None,
        ),
    )
    accounts = tuple(
        AccountCoverage(
            account_id=account_id,
            name=name,
            ou_path=f"/Root/{name}",
            state="ACTIVE",
            scanned=True,
            regions_scanned=2,
            error_code=None,
        )
        for account_id, name in (
            (MANAGEMENT, "management"),
            (WORKLOAD, account_name),
            (OTHER, account_name),
        )
    )
    run = RunInfo(
        started_at="2026-11-27T09:00:00Z",
        finished_at="2026-11-27T09:01:00Z",
        tool_version="0.1.0",
        caller_arn=f"arn:aws:iam::{MANAGEMENT}:user/auditor",
        organization_id="o-abc123defg",
        policy=policy,
        regions=("us-east-1", "eu-west-1"),
        complete=True,
    )
    errors = (ScanError(OTHER, "eu-west-1", ErrorStage.TRAILS, "AccessDeniedException", text),)
    return ScanResult(run=run, accounts=accounts, findings=findings, errors=errors)


def containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Lists and string-keyed tables of ``inner`` values (JSON arrays and objects, TOML arrays
    and tables): the ``extend`` of a hypothesis ``recursive`` strategy."""
    return st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=3)


def paths(document: Any, prefix: Path = ()) -> Iterator[Path]:
    """The path of every value inside a JSON document (the document itself first)."""
    yield prefix
    if isinstance(document, dict):
        for key, value in document.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from paths(value, (*prefix, index))


def changed(document: Any, path: Path, value: Any, *, delete: bool = False) -> Any:
    """A copy of ``document`` with the value at ``path`` replaced by ``value`` (or removed)."""
    if not path:
        return value
    result = copy.deepcopy(document)
    parent = result
    for step in path[:-1]:
        parent = parent[step]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return result
