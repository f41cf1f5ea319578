"""Reading ``findings.json`` back: every field checked for type, range and the schema's rules,
so that ``report``, ``diff`` and ``remediate`` can trust the ``ScanResult`` whatever file they
were handed. ``findings.loads`` and ``findings.load_run`` are the ways in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, TypeVar

from orgscan.identifiers import ACCOUNT_ID_RE, REGION_RE
from orgscan.integrity import integrity_fields, later_policy
from orgscan.jsondoc import implausible_time, typed_value
from orgscan.model import (
    MAX_DELIVERY_AGE_HOURS,
    MAX_RETENTION_DAYS,
    REASON_STATUS,
    AccountCoverage,
    AccountGap,
    AccountVerdictCode,
    ErrorStage,
    ExceptionMark,
    Finding,
    GapWhy,
    LockMode,
    ManagementEvents,
    Policy,
    ReasonCode,
    RequiredMode,
    RunInfo,
    RunKind,
    RunScope,
    ScanError,
    ScanResult,
    Status,
    Versioning,
)
from orgscan.prelock_count import prelock_from_dict
from orgscan.weakeners import weakener_from_dict

#: Versions the reader accepts: older files read with the later fields absent (null, empty).
READABLE_SCHEMA_VERSIONS = (1, 2, 3)
#: The longest text a findings.json field may hold: Excel's limit for one cell. AWS names are
#: far shorter (a trail name 128 characters, a bucket name 63).
MAX_TEXT = 32_767
#: More regions than any partition has, with room to grow.
MAX_REGIONS = 1000


class SchemaError(Exception):
    """What in the document breaks the schema, and where."""


_T = TypeVar("_T")


def _get(
    obj: Mapping[str, Any],
    key: str,
    kind: type[_T] | tuple[type, ...],
    where: str,
    *,
    optional: bool = False,
) -> Any:
    if key not in obj:
        raise SchemaError(f"{where}: missing key {key!r}")
    try:
        value = typed_value(obj, key, kind, optional=optional)
    except TypeError as exc:
        raise SchemaError(f"{where}: {exc}") from None
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise SchemaError(
            f"{where}: {key!r} holds {len(value):,} characters, more than the "
            f"{MAX_TEXT:,} a finding's text may have"
        )
    return value


def _int_between(
    raw: Mapping[str, Any], key: str, where: str, low: int, high: int, *, optional: bool = False
) -> Any:
    # Reports and plans compute with these numbers: 10**30 days overflows pandas and Excel.
    value = _get(raw, key, int, where, optional=optional)
    if value is not None and not low <= value <= high:
        raise SchemaError(f"{where}: {key!r} must be between {low} and {high}, not {value}")
    return value


def _region(raw: Mapping[str, Any], key: str, where: str, *, optional: bool = False) -> Any:
    # Regions name AWS endpoints that remediate --apply calls: only real region names.
    value = _get(raw, key, str, where, optional=optional)
    if value is not None and not REGION_RE.match(value):
        raise SchemaError(f"{where}: {key!r} is not an AWS region name: {value!r:.40}")
    return value


def _enum(value: Any, enum: type[_T], key: str, where: str, *, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    try:
        return enum(value)  # type: ignore[call-arg]
    except ValueError:
        raise SchemaError(f"{where}: {key!r} has unknown value {value!r:.60}") from None


def _account_id(value: Any, key: str, where: str, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not ACCOUNT_ID_RE.match(value):
        raise SchemaError(f"{where}: {key!r} must be a 12-digit account id, not {value!r:.60}")
    return value


def _list(document: Mapping[str, Any], key: str) -> Sequence[Any]:
    value = _get(document, key, list, "findings.json")
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise SchemaError(f"{key}[{index}] must be an object")
    return value  # type: ignore[no-any-return]


def parse_document(document: Any) -> ScanResult:
    """The ``ScanResult`` of a parsed ``findings.json`` document; ``SchemaError`` on any defect."""
    if not isinstance(document, dict):
        raise SchemaError("the top level must be a JSON object")
    version = _get(document, "schema_version", int, "findings.json")
    if version not in READABLE_SCHEMA_VERSIONS:
        raise SchemaError(
            f"schema_version {version} is not supported (expected "
            f"{' or '.join(map(str, READABLE_SCHEMA_VERSIONS))})"
        )
    run = _parse_run(_get(document, "run", dict, "findings.json"))
    accounts = tuple(
        _parse_account(item, f"accounts[{i}]") for i, item in enumerate(_list(document, "accounts"))
    )
    findings = tuple(
        _parse_finding(item, f"findings[{i}]") for i, item in enumerate(_list(document, "findings"))
    )
    errors = tuple(
        _parse_error(item, f"errors[{i}]") for i, item in enumerate(_list(document, "errors"))
    )
    weakeners = None
    if "weakeners" in document:  # runs before contract 5.3 have none
        try:
            weakeners = tuple(
                weakener_from_dict(item, f"weakeners[{i}]")
                for i, item in enumerate(_list(document, "weakeners"))
            )
        except ValueError as exc:
            raise SchemaError(str(exc)) from None
    return ScanResult(
        run=run, accounts=accounts, findings=findings, errors=errors, weakeners=weakeners
    )


def _parse_run(raw: Mapping[str, Any]) -> RunInfo:
    where = "run"
    policy_raw = _get(raw, "policy", dict, where)
    min_days = _int_between(
        policy_raw, "min_retention_days", "run.policy", 1, MAX_RETENTION_DAYS, optional=True
    )
    policy = Policy(
        require_default_retention=_get(policy_raw, "require_default_retention", bool, "run.policy"),
        require_mode=_enum(
            _get(policy_raw, "require_mode", str, "run.policy"),
            RequiredMode,
            "require_mode",
            "run.policy",
        ),
        min_retention_days=min_days,
        # Absent before contract v3: the default it then had no say in.
        max_delivery_age_hours=_int_between(
            policy_raw, "max_delivery_age_hours", "run.policy", 1, MAX_DELIVERY_AGE_HOURS
        )
        if "max_delivery_age_hours" in policy_raw
        else Policy().max_delivery_age_hours,
        **later_policy(policy_raw, SchemaError),  # absent before contracts 5.2 and 5.4
    )
    regions = _get(raw, "regions", list, where)
    if len(regions) > MAX_REGIONS or not all(
        isinstance(region, str) and REGION_RE.match(region) for region in regions
    ):
        raise SchemaError("run: 'regions' must be a list of AWS region names")
    return RunInfo(
        run_id=_get(raw, "run_id", str, where) if "run_id" in raw else "",
        scope=_parse_scope(raw.get("scope")),
        command=(_strings(raw, "command", where) or ()) if "command" in raw else (),
        host=_get(raw, "host", str, where) if "host" in raw else "",
        started_at=_run_time(raw, "started_at", where),
        finished_at=_run_time(raw, "finished_at", where),
        tool_version=_get(raw, "tool_version", str, where),
        caller_arn=_get(raw, "caller_arn", str, where),
        organization_id=_get(raw, "organization_id", str, where, optional=True),
        policy=policy,
        regions=tuple(regions),
        complete=_get(raw, "complete", bool, where),
        # Absent before incremental runs existed: every such run was a full scan.
        kind=_enum(raw.get("kind", RunKind.FULL.value), RunKind, "kind", where),
        based_on=_get(raw, "based_on", str, where, optional=True) if "based_on" in raw else None,
        break_glass_principals=_strings(raw, "break_glass_principals", where)
        if "break_glass_principals" in raw
        else None,
    )


def _run_time(raw: Mapping[str, Any], key: str, where: str) -> str:
    # Reports date the workbook's ZIP entries with these: out of range, they crash.
    text: str = _get(raw, key, str, where)
    problem = implausible_time(text)
    if problem is not None:
        raise SchemaError(f"{where}: {key!r} {problem}")
    return text


def _strings(
    raw: Mapping[str, Any], key: str, where: str, *, optional: bool = False
) -> tuple[str, ...] | None:
    value = _get(raw, key, list, where, optional=optional)
    if value is None:
        return None
    if not all(isinstance(item, str) and len(item) <= MAX_TEXT for item in value):
        raise SchemaError(
            f"{where}: {key!r} must be a list of strings of at most {MAX_TEXT:,} characters"
        )
    return tuple(value)


def _parse_scope(raw: Any) -> RunScope | None:
    # Absent in version 1 files.
    if raw is None:
        return None
    where = "run.scope"
    if not isinstance(raw, dict):
        raise SchemaError(f"{where} must be an object or null")
    accounts = _strings(raw, "accounts", where, optional=True)
    for account_id in accounts or ():
        _account_id(account_id, "accounts", where)
    regions = _strings(raw, "regions", where, optional=True)
    if regions is not None and (
        len(regions) > MAX_REGIONS or not all(REGION_RE.match(region) for region in regions)
    ):
        raise SchemaError(f"{where}: 'regions' must be a list of AWS region names or null")
    return RunScope(
        role_name=_get(raw, "role_name", str, where),
        accounts=accounts,
        exclude_accounts=_strings(raw, "exclude_accounts", where) or (),
        ous=_strings(raw, "ous", where) or (),
        regions=regions,
        org=_get(raw, "org", bool, where),
    )


def _parse_gaps(raw: Mapping[str, Any], where: str) -> tuple[AccountGap, ...]:
    gaps = _get(raw, "gaps", list, where) if "gaps" in raw else []
    parsed = []
    for index, gap in enumerate(gaps):
        gap_where = f"{where}.gaps[{index}]"
        if not isinstance(gap, dict):
            raise SchemaError(f"{gap_where} must be an object")
        parsed.append(
            AccountGap(
                region=_region(gap, "region", gap_where),
                code=_enum(
                    _get(gap, "code", str, gap_where), AccountVerdictCode, "code", gap_where
                ),
                why=_enum(gap.get("why"), GapWhy, "why", gap_where, optional=True),
            )
        )
    return tuple(parsed)


def _parse_account(raw: Mapping[str, Any], where: str) -> AccountCoverage:
    regions_scanned = _int_between(raw, "regions_scanned", where, 0, MAX_REGIONS)
    return AccountCoverage(
        account_id=_account_id(raw.get("account_id"), "account_id", where) or "",
        name=_get(raw, "name", str, where, optional=True),
        ou_path=_get(raw, "ou_path", str, where, optional=True),
        state=_get(raw, "state", str, where),
        scanned=_get(raw, "scanned", bool, where),
        regions_scanned=regions_scanned,
        error_code=_get(raw, "error_code", str, where, optional=True),
        # The verdict fields are absent in version 1 files.
        verdict=_enum(raw.get("verdict"), Status, "verdict", where, optional=True),
        verdict_code=_enum(
            raw.get("verdict_code"), AccountVerdictCode, "verdict_code", where, optional=True
        ),
        protected_by=(_strings(raw, "protected_by", where) or ()) if "protected_by" in raw else (),
        gaps=_parse_gaps(raw, where),
    )


def _parse_finding(raw: Mapping[str, Any], where: str) -> Finding:
    status = _enum(_get(raw, "status", str, where), Status, "status", where)
    reason_code = _enum(_get(raw, "reason_code", str, where), ReasonCode, "reason_code", where)
    # NO_DEFAULT_RETENTION is FAIL or WARN depending on the run's policy; the rest are fixed.
    allowed = (
        {Status.WARN, Status.FAIL}
        if reason_code is ReasonCode.NO_DEFAULT_RETENTION
        else {REASON_STATUS[reason_code]}
    )
    if status not in allowed:
        raise SchemaError(
            f"{where}: reason_code {reason_code.value} cannot have status {status.value}"
        )
    return Finding(
        account_id=_account_id(raw.get("account_id"), "account_id", where) or "",
        trail_name=_get(raw, "trail_name", str, where),
        trail_arn=_get(raw, "trail_arn", str, where),
        home_region=_region(raw, "home_region", where),
        is_organization_trail=_get(raw, "is_organization_trail", bool, where),
        is_multi_region=_get(raw, "is_multi_region", bool, where),
        bucket_name=_get(raw, "bucket_name", str, where),
        bucket_account_id=_account_id(
            raw.get("bucket_account_id"), "bucket_account_id", where, optional=True
        ),
        bucket_region=_region(raw, "bucket_region", where, optional=True),
        object_lock_enabled=_get(raw, "object_lock_enabled", bool, where, optional=True),
        lock_mode=_enum(
            _get(raw, "lock_mode", str, where, optional=True),
            LockMode,
            "lock_mode",
            where,
            optional=True,
        ),
        retention_days=_int_between(
            raw, "retention_days", where, 0, MAX_RETENTION_DAYS, optional=True
        ),
        versioning=_enum(
            _get(raw, "versioning", str, where, optional=True),
            Versioning,
            "versioning",
            where,
            optional=True,
        ),
        status=status,
        reason_code=reason_code,
        reason=_get(raw, "reason", str, where),
        # Trail health is absent in version 1 files.
        is_logging=_optional(raw, "is_logging", bool, where),
        latest_delivery_error=_optional(raw, "latest_delivery_error", str, where),
        management_events=_enum(
            raw.get("management_events"),
            ManagementEvents,
            "management_events",
            where,
            optional=True,
        ),
        # Recording and delivery fields are absent before contract v3.
        global_service_events=_optional(raw, "global_service_events", bool, where),
        latest_delivery_time=_optional(raw, "latest_delivery_time", str, where),
        delivering=_optional(raw, "delivering", bool, where),
        log_file_validation=_optional(raw, "log_file_validation", bool, where),
        kms_key_arn=_optional(raw, "kms_key_arn", str, where),
        **integrity_fields(raw, where, SchemaError),
        exception=_parse_exception(raw.get("exception"), f"{where}.exception"),
        tamper_status=_enum(
            raw.get("tamper_status"), Status, "tamper_status", where, optional=True
        ),
        tamper_reason=_get(raw, "tamper_reason", str, where, optional=True)
        if "tamper_reason" in raw
        else None,
        prelock=prelock_from_dict(raw.get("prelock"), f"{where}.prelock", SchemaError),
    )


def _optional(raw: Mapping[str, Any], key: str, kind: type[_T], where: str) -> Any:
    """A nullable field that older files lack."""
    return _get(raw, key, kind, where, optional=True) if key in raw else None


def _parse_exception(raw: Any, where: str) -> ExceptionMark | None:
    # Optional: files written before exceptions existed have no such key.
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise SchemaError(f"{where} must be an object or null")
    expires = _get(raw, "expires", str, where)
    try:
        expiry = date.fromisoformat(expires)
    except ValueError:
        raise SchemaError(
            f"{where}: 'expires' must be a date YYYY-MM-DD, not {expires!r:.60}"
        ) from None
    return ExceptionMark(
        owner=_get(raw, "owner", str, where),
        reason=_get(raw, "reason", str, where),
        expires=expiry,
        expired=_get(raw, "expired", bool, where),
    )


def _parse_error(raw: Mapping[str, Any], where: str) -> ScanError:
    return ScanError(
        account_id=_account_id(raw.get("account_id"), "account_id", where) or "",
        region=_region(raw, "region", where, optional=True),
        stage=_enum(_get(raw, "stage", str, where), ErrorStage, "stage", where),
        error_code=_get(raw, "error_code", str, where),
        message=_get(raw, "message", str, where),
    )
