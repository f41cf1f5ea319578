"""Reading ``findings.json`` back: every field checked for type, range and the schema's rules,
so that ``report``, ``diff`` and ``remediate`` can trust the ``ScanResult`` whatever file they
were handed. ``findings.loads`` and ``findings.load_run`` are the ways in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from orgscan.findings_fields import (
    MAX_REGIONS,
    MAX_TEXT,
    READABLE_SCHEMA_VERSIONS,
    SchemaError,
    account_id_field,
    enum_field,
    get_field,
    int_between,
    object_list,
    region_field,
)
from orgscan.identifiers import REGION_RE
from orgscan.integrity import integrity_fields, later_policy
from orgscan.jsondoc import implausible_time
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


def parse_document(document: Any, made: Mapping[str, tuple[Any, ...]] | None = None) -> ScanResult:
    """The ``ScanResult`` of a parsed ``findings.json`` document; ``SchemaError`` on any defect.

    ``made``: arrays already read element by element (``read_element``), in place of those of
    ``document``."""
    if not isinstance(document, dict):
        raise SchemaError("the top level must be a JSON object")
    version = get_field(document, "schema_version", int, "findings.json")
    if version not in READABLE_SCHEMA_VERSIONS:
        raise SchemaError(
            f"schema_version {version} is not supported (expected "
            f"{' or '.join(map(str, READABLE_SCHEMA_VERSIONS))})"
        )
    run = _parse_run(get_field(document, "run", dict, "findings.json"))
    made = made or {}
    arrays = {
        key: made[key] if key in made else _array(document, key)
        for key in ELEMENT_READERS
        if key != "weakeners" or "weakeners" in document  # runs before contract 5.3 have none
    }
    return ScanResult(
        run=run,
        accounts=arrays["accounts"],
        findings=arrays["findings"],
        errors=arrays["errors"],
        weakeners=arrays.get("weakeners"),
    )


def read_element(key: str, item: Any, index: int) -> Any:
    """What element ``index`` of the document's array ``key`` makes; ``SchemaError`` when it
    cannot be read."""
    if not isinstance(item, dict):
        raise SchemaError(f"{key}[{index}] must be an object")
    return ELEMENT_READERS[key](item, f"{key}[{index}]")


def _array(document: Mapping[str, Any], key: str) -> tuple[Any, ...]:
    # Every element is checked to be an object before any is read: the first defect named is
    # the one it always was.
    read = ELEMENT_READERS[key]
    return tuple(
        read(item, f"{key}[{index}]") for index, item in enumerate(object_list(document, key))
    )


def _parse_weakener(raw: Mapping[str, Any], where: str) -> Any:
    try:
        return weakener_from_dict(raw, where)
    except ValueError as exc:
        raise SchemaError(str(exc)) from None


def _parse_run(raw: Mapping[str, Any]) -> RunInfo:
    where = "run"
    policy_raw = get_field(raw, "policy", dict, where)
    min_days = int_between(
        policy_raw, "min_retention_days", "run.policy", 1, MAX_RETENTION_DAYS, optional=True
    )
    policy = Policy(
        require_default_retention=get_field(
            policy_raw, "require_default_retention", bool, "run.policy"
        ),
        require_mode=enum_field(
            get_field(policy_raw, "require_mode", str, "run.policy"),
            RequiredMode,
            "require_mode",
            "run.policy",
        ),
        min_retention_days=min_days,
        # Absent before contract v3: the default it then had no say in.
        max_delivery_age_hours=int_between(
            policy_raw, "max_delivery_age_hours", "run.policy", 1, MAX_DELIVERY_AGE_HOURS
        )
        if "max_delivery_age_hours" in policy_raw
        else Policy().max_delivery_age_hours,
        **later_policy(policy_raw, SchemaError),  # absent before contracts 5.2 and 5.4
    )
    regions = get_field(raw, "regions", list, where)
    if len(regions) > MAX_REGIONS or not all(
        isinstance(region, str) and REGION_RE.match(region) for region in regions
    ):
        raise SchemaError("run: 'regions' must be a list of AWS region names")
    return RunInfo(
        run_id=get_field(raw, "run_id", str, where) if "run_id" in raw else "",
        scope=_parse_scope(raw.get("scope")),
        command=(_strings(raw, "command", where) or ()) if "command" in raw else (),
        host=get_field(raw, "host", str, where) if "host" in raw else "",
        started_at=_run_time(raw, "started_at", where),
        finished_at=_run_time(raw, "finished_at", where),
        tool_version=get_field(raw, "tool_version", str, where),
        caller_arn=get_field(raw, "caller_arn", str, where),
        organization_id=get_field(raw, "organization_id", str, where, optional=True),
        policy=policy,
        regions=tuple(regions),
        complete=get_field(raw, "complete", bool, where),
        # Absent before incremental runs existed: every such run was a full scan.
        kind=enum_field(raw.get("kind", RunKind.FULL.value), RunKind, "kind", where),
        based_on=get_field(raw, "based_on", str, where, optional=True)
        if "based_on" in raw
        else None,
        break_glass_principals=_strings(raw, "break_glass_principals", where)
        if "break_glass_principals" in raw
        else None,
    )


def _run_time(raw: Mapping[str, Any], key: str, where: str) -> str:
    # Reports date the workbook's ZIP entries with these: out of range, they crash.
    text: str = get_field(raw, key, str, where)
    problem = implausible_time(text)
    if problem is not None:
        raise SchemaError(f"{where}: {key!r} {problem}")
    return text


def _strings(
    raw: Mapping[str, Any], key: str, where: str, *, optional: bool = False
) -> tuple[str, ...] | None:
    value = get_field(raw, key, list, where, optional=optional)
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
        account_id_field(account_id, "accounts", where)
    regions = _strings(raw, "regions", where, optional=True)
    if regions is not None and (
        len(regions) > MAX_REGIONS or not all(REGION_RE.match(region) for region in regions)
    ):
        raise SchemaError(f"{where}: 'regions' must be a list of AWS region names or null")
    return RunScope(
        role_name=get_field(raw, "role_name", str, where),
        accounts=accounts,
        exclude_accounts=_strings(raw, "exclude_accounts", where) or (),
        ous=_strings(raw, "ous", where) or (),
        regions=regions,
        org=get_field(raw, "org", bool, where),
    )


def _parse_gaps(raw: Mapping[str, Any], where: str) -> tuple[AccountGap, ...]:
    gaps = get_field(raw, "gaps", list, where) if "gaps" in raw else []
    parsed = []
    for index, gap in enumerate(gaps):
        gap_where = f"{where}.gaps[{index}]"
        if not isinstance(gap, dict):
            raise SchemaError(f"{gap_where} must be an object")
        parsed.append(
            AccountGap(
                region=region_field(gap, "region", gap_where),
                code=enum_field(
                    get_field(gap, "code", str, gap_where), AccountVerdictCode, "code", gap_where
                ),
                why=enum_field(gap.get("why"), GapWhy, "why", gap_where, optional=True),
            )
        )
    return tuple(parsed)


def _parse_account(raw: Mapping[str, Any], where: str) -> AccountCoverage:
    regions_scanned = int_between(raw, "regions_scanned", where, 0, MAX_REGIONS)
    return AccountCoverage(
        account_id=account_id_field(raw.get("account_id"), "account_id", where) or "",
        name=get_field(raw, "name", str, where, optional=True),
        ou_path=get_field(raw, "ou_path", str, where, optional=True),
        state=get_field(raw, "state", str, where),
        scanned=get_field(raw, "scanned", bool, where),
        regions_scanned=regions_scanned,
        error_code=get_field(raw, "error_code", str, where, optional=True),
        # The verdict fields are absent in version 1 files.
        verdict=enum_field(raw.get("verdict"), Status, "verdict", where, optional=True),
        verdict_code=enum_field(
            raw.get("verdict_code"), AccountVerdictCode, "verdict_code", where, optional=True
        ),
        protected_by=(_strings(raw, "protected_by", where) or ()) if "protected_by" in raw else (),
        gaps=_parse_gaps(raw, where),
    )


def _parse_finding(raw: Mapping[str, Any], where: str) -> Finding:
    status = enum_field(get_field(raw, "status", str, where), Status, "status", where)
    reason_code = enum_field(
        get_field(raw, "reason_code", str, where), ReasonCode, "reason_code", where
    )
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
        account_id=account_id_field(raw.get("account_id"), "account_id", where) or "",
        trail_name=get_field(raw, "trail_name", str, where),
        trail_arn=get_field(raw, "trail_arn", str, where),
        home_region=region_field(raw, "home_region", where),
        is_organization_trail=get_field(raw, "is_organization_trail", bool, where),
        is_multi_region=get_field(raw, "is_multi_region", bool, where),
        bucket_name=get_field(raw, "bucket_name", str, where),
        bucket_account_id=account_id_field(
            raw.get("bucket_account_id"), "bucket_account_id", where, optional=True
        ),
        bucket_region=region_field(raw, "bucket_region", where, optional=True),
        object_lock_enabled=get_field(raw, "object_lock_enabled", bool, where, optional=True),
        lock_mode=enum_field(
            get_field(raw, "lock_mode", str, where, optional=True),
            LockMode,
            "lock_mode",
            where,
            optional=True,
        ),
        retention_days=int_between(
            raw, "retention_days", where, 0, MAX_RETENTION_DAYS, optional=True
        ),
        versioning=enum_field(
            get_field(raw, "versioning", str, where, optional=True),
            Versioning,
            "versioning",
            where,
            optional=True,
        ),
        status=status,
        reason_code=reason_code,
        reason=get_field(raw, "reason", str, where),
        # Trail health is absent in version 1 files.
        is_logging=_optional(raw, "is_logging", bool, where),
        latest_delivery_error=_optional(raw, "latest_delivery_error", str, where),
        management_events=enum_field(
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
        tamper_status=enum_field(
            raw.get("tamper_status"), Status, "tamper_status", where, optional=True
        ),
        tamper_reason=get_field(raw, "tamper_reason", str, where, optional=True)
        if "tamper_reason" in raw
        else None,
        prelock=prelock_from_dict(raw.get("prelock"), f"{where}.prelock", SchemaError),
    )


def _optional(raw: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    """A nullable field that older files lack."""
    return get_field(raw, key, kind, where, optional=True) if key in raw else None


def _parse_exception(raw: Any, where: str) -> ExceptionMark | None:
    # Optional: files written before exceptions existed have no such key.
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise SchemaError(f"{where} must be an object or null")
    expires = get_field(raw, "expires", str, where)
    try:
        expiry = date.fromisoformat(expires)
    except ValueError:
        raise SchemaError(
            f"{where}: 'expires' must be a date YYYY-MM-DD, not {expires!r:.60}"
        ) from None
    return ExceptionMark(
        owner=get_field(raw, "owner", str, where),
        reason=get_field(raw, "reason", str, where),
        expires=expiry,
        expired=get_field(raw, "expired", bool, where),
    )


def _parse_error(raw: Mapping[str, Any], where: str) -> ScanError:
    return ScanError(
        account_id=account_id_field(raw.get("account_id"), "account_id", where) or "",
        region=region_field(raw, "region", where, optional=True),
        stage=enum_field(get_field(raw, "stage", str, where), ErrorStage, "stage", where),
        error_code=get_field(raw, "error_code", str, where),
        message=get_field(raw, "message", str, where),
    )


#: How an element of each of the document's arrays is read, in the order they are read.
ELEMENT_READERS: dict[str, Callable[[Mapping[str, Any], str], Any]] = {
    "accounts": _parse_account,
    "findings": _parse_finding,
    "errors": _parse_error,
    "weakeners": _parse_weakener,
}
