"""The findings schema: ``findings.json`` (read and write) and the findings DataFrame.

``findings.json`` is the source of truth of a run; every report is rebuilt from it. The reader
(``findings_reader``) validates everything it returns, so ``report``, ``diff`` and
``remediate`` can trust a ``ScanResult`` whatever file they were handed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orgscan.errors import InputError
from orgscan.findings_fields import SchemaError
from orgscan.findings_reader import ELEMENT_READERS, parse_document, read_element
from orgscan.jsondoc import parse_json_text, read_regular_file, streamed_object
from orgscan.jsonstream import LazyArray, json_pieces
from orgscan.model import AccountCoverage, Finding, ScanError, ScanResult
from orgscan.weakeners import Weakener

if TYPE_CHECKING:
    import pandas as pd

SCHEMA_VERSION = 3
FINDINGS_FILE = "findings.json"

#: The findings table: column order (the contract's) and pandas dtypes, declared once.
FINDING_COLUMNS: dict[str, str] = {
    "account_id": "string",
    "trail_name": "string",
    "trail_arn": "string",
    "home_region": "string",
    "is_organization_trail": "boolean",
    "is_multi_region": "boolean",
    "bucket_name": "string",
    "bucket_account_id": "string",
    "bucket_region": "string",
    "object_lock_enabled": "boolean",
    "lock_mode": "string",
    "retention_days": "Int64",
    "versioning": "string",
    "status": "string",
    "reason_code": "string",
    "reason": "string",
    "is_logging": "boolean",
    "latest_delivery_error": "string",
    "management_events": "string",
    "global_service_events": "boolean",
    "latest_delivery_time": "string",
    "delivering": "boolean",
    "log_file_validation": "boolean",
    "kms_key_arn": "string",
    "mfa_delete": "boolean",
    "kms_key_state": "string",
    "kms_key_rotation": "boolean",
    "lifecycle_expiration_days": "Int64",
    "public_access_blocked": "boolean",
}


class FindingsFileError(InputError):
    """``findings.json`` is missing, unreadable or does not follow the schema."""


# --------------------------------------------------------------------------- writing


def result_to_dict(result: ScanResult) -> dict[str, Any]:
    """The JSON document of ``findings.json`` for ``result`` (plain types, contract order)."""
    return _document(result, _whole)


#: Makes one of the document's arrays: its items, each converted.
_Array = Callable[[Sequence[Any], Callable[[Any], dict[str, Any]]], list[dict[str, Any]]]


def _whole(items: Sequence[Any], convert: Callable[[Any], dict[str, Any]]) -> list[dict[str, Any]]:
    return [convert(item) for item in items]


def _document(result: ScanResult, array: _Array) -> dict[str, Any]:
    run = result.run
    return {
        "schema_version": SCHEMA_VERSION,
        "run": {
            "run_id": run.run_id,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "tool_version": run.tool_version,
            "caller_arn": run.caller_arn,
            "organization_id": run.organization_id,
            "policy": run.policy.to_dict(),
            "scope": run.scope.to_dict() if run.scope is not None else None,
            "command": list(run.command),
            "host": run.host,
            "regions": list(run.regions),
            "complete": run.complete,
            "kind": run.kind.value,
            "based_on": run.based_on,
            **(
                {"break_glass_principals": list(run.break_glass_principals)}
                if run.break_glass_principals is not None
                else {}
            ),
        },
        "accounts": array(result.accounts, _account_to_dict),
        "findings": array(result.findings, _finding_to_dict),
        "errors": [_error_to_dict(error) for error in result.errors],
        **(
            {"weakeners": array(result.weakeners, Weakener.to_dict)}
            if result.weakeners is not None
            else {}
        ),
    }


def dumps(result: ScanResult) -> str:
    """``findings.json`` as text: stable, indented, UTF-8 friendly."""
    return "".join(iter_dumps(result))


def iter_dumps(result: ScanResult) -> Iterator[str]:
    """``findings.json`` as text, in pieces: each account's, finding's and weakener's object is
    made as it is written (at 10,000 accounts, 177,000 weakener rows were held as dicts)."""
    return json_pieces(_document(result, LazyArray))


def _finding_to_dict(finding: Finding) -> dict[str, Any]:
    # Field order is the contract's.
    row = _plain_fields(finding, _FINDING_FIELDS)
    row["integrity"] = [check.to_dict() for check in finding.integrity]
    # Written only when the register matched, so runs without exceptions keep the plain schema.
    if finding.exception is not None:
        row["exception"] = finding.exception.to_dict()
    if finding.tamper_status is not None:  # a run that assessed tamper paths (contract 5.3)
        row["tamper_status"] = finding.tamper_status.value
        row["tamper_reason"] = finding.tamper_reason
    row["prelock"] = finding.prelock.to_dict() if finding.prelock is not None else None
    return row


#: Fields written apart (when set, or as an object) or never (the trail's key prefix).
_APART = (
    "integrity",
    "exception",
    "tamper_status",
    "tamper_reason",
    "prelock",
    "s3_key_prefix",
)
#: The finding's fields as ``findings.json`` always writes them, in the contract's order.
_FINDING_FIELDS = tuple(f.name for f in fields(Finding) if f.name not in _APART)


def _account_to_dict(account: AccountCoverage) -> dict[str, Any]:
    # A shallow read, as for findings: asdict's deep copy of each row cost 0.7 s at 10,000.
    row = {key: getattr(account, key) for key in _ACCOUNT_FIELDS}
    row["protected_by"] = list(account.protected_by)
    row["gaps"] = [
        {"region": gap.region, "code": gap.code.value, "why": gap.why.value if gap.why else None}
        for gap in account.gaps
    ]
    return row


_ACCOUNT_FIELDS = tuple(f.name for f in fields(AccountCoverage))


def _error_to_dict(error: ScanError) -> dict[str, Any]:
    row = asdict(error)
    row["stage"] = error.stage.value
    return row


def finding_columns(finding: Finding) -> dict[str, Any]:
    """The ``FINDING_COLUMNS`` of ``finding`` as plain values: a row of ``findings_frame``
    without pandas (None where the frame holds a missing value)."""
    return _plain_fields(finding, FINDING_COLUMNS)


def _plain_fields(finding: Finding, keys: Iterable[str]) -> dict[str, Any]:
    # StrEnum members as their value. A shallow read, not asdict's deep copy: this runs once
    # per trail for every report of a large run.
    return {
        key: (value.value if hasattr(value, "value") else value)
        for key, value in ((key, getattr(finding, key)) for key in keys)
    }


def findings_frame(findings: Iterable[Finding]) -> pd.DataFrame:
    """The findings as a DataFrame with the declared column order and dtypes."""
    # Imported here: findings.json needs no pandas, and importing it costs a third of a
    # second that a small organization's run would otherwise pay before its first AWS call.
    import pandas as pd

    rows = [_finding_to_dict(finding) for finding in findings]
    frame = pd.DataFrame.from_records(rows, columns=list(FINDING_COLUMNS))
    return frame.astype(FINDING_COLUMNS)


# --------------------------------------------------------------------------- reading


def folder_problem(run_dir: Path) -> str | None:
    """Why ``run_dir`` cannot be a run folder (``no such directory``, ``not a directory``, ``no
    findings.json``), or None. An existing file is named as one: "no such directory" would send
    the reader looking for a path that is there."""
    if not run_dir.is_dir():
        return "not a directory" if run_dir.exists() else "no such directory"
    if not (run_dir / FINDINGS_FILE).is_file():
        return f"no {FINDINGS_FILE}"
    return None


def load_run(run_dir: Path) -> ScanResult:
    """Read and validate ``RUN_DIR/findings.json``; raise ``FindingsFileError`` on any defect."""
    return load_run_and_version(run_dir)[0]


def load_run_and_version(run_dir: Path) -> tuple[ScanResult, int]:
    """``load_run``, with the file's ``schema_version`` (which the result does not keep), from
    one reading of the file."""
    path = run_dir / FINDINGS_FILE
    if not run_dir.is_dir():
        raise FindingsFileError(f"{run_dir}: not a run folder ({folder_problem(run_dir)})")
    try:
        text = read_regular_file(path)
    except FileNotFoundError:
        raise FindingsFileError(f"{path}: missing; is {run_dir} a run folder?") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FindingsFileError(f"{path}: cannot be read ({exc})") from None
    return _from_text(text, str(path))


def _element_maker(key: str) -> Callable[[Any, int], Any]:
    def make(element: Any, index: int) -> Any:
        try:
            return read_element(key, element, index)
        except SchemaError as exc:  # the streamed reading gives up; the whole reading says why
            raise ValueError(str(exc)) from None

    return make


#: Each of findings.json's arrays read an element at a time (``jsondoc.streamed_object``): a
#: 10,000-account document is never held whole beside the result made of it.
_ELEMENT_MAKERS = {key: _element_maker(key) for key in ELEMENT_READERS}


def loads(text: str, source: str = FINDINGS_FILE) -> ScanResult:
    """Parse and validate the text of a ``findings.json``."""
    return _from_text(text, source)[0]


def _from_text(text: str, source: str) -> tuple[ScanResult, int]:
    """The result in ``text`` and its ``schema_version``: read an element at a time, so that a
    10,000-account document (290 MB parsed) is never held whole beside the result; read whole
    when that cannot be done, which also names what is wrong."""
    streamed = streamed_object(text, _ELEMENT_MAKERS)
    if streamed is not None:
        try:
            # An int once the result is made: parse_document checked it is one it reads.
            return parse_document(*streamed), streamed[0]["schema_version"]
        except SchemaError:
            pass  # read whole below: the refusal names what it always named
    document = parse_json_text(text, source, FindingsFileError)
    try:
        return parse_document(document), document["schema_version"]
    except SchemaError as exc:
        raise FindingsFileError(f"{source}: {exc}") from None
