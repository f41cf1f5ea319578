"""``remediation/plan.json``: the plan's serialisation and a validating loader.

The loader checks everything it returns (types, enums, account ids, known operations), so
``orgscan remediate --apply`` never sends a call that the plan format does not allow.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from orgscan.errors import InputError
from orgscan.identifiers import ACCOUNT_ID_RE, REGION_RE
from orgscan.jsondoc import parse_json_text, read_regular_file, typed_value
from orgscan.jsonstream import LazyArray, json_pieces
from orgscan.model import GapWhy, IntegrityCode, LockMode, ReasonCode
from orgscan.remediation.plan_model import (
    MAX_DAYS,
    Check,
    EntryKind,
    Guard,
    GuardKind,
    Plan,
    PlanEntry,
    RemediationSettings,
    Retention,
    Service,
    Step,
    Strategy,
)

PLAN_SCHEMA_VERSION = 2
#: Plans of version 1 (no guards, no absent codes) still load, so older run folders still
#: render; ``remediate`` then refuses them as different from the rebuilt plan.
_LEGACY_SCHEMA_VERSION = 1
PLAN_FILE = "plan.json"
REMEDIATION_DIR = "remediation"
#: ``remediate --apply`` records each apply in ``REMEDIATION_DIR/apply-<UTC timestamp>.json``.
APPLY_RECORD_PREFIX = "apply-"


def is_apply_record(name: str) -> bool:
    """True for a run-folder-relative ``name`` that ``remediate --apply`` writes (after the
    run was sealed: such a file is not in the manifest)."""
    folder, _, file = name.partition("/")
    return (
        folder == REMEDIATION_DIR
        and "/" not in file
        and file.startswith(APPLY_RECORD_PREFIX)
        and file.endswith(".json")
    )


#: The only calls a plan may contain, per service: writes, and the reads that check and guard
#: them.
ALLOWED_OPERATIONS: dict[Service, frozenset[str]] = {
    Service.S3: frozenset(
        {
            "CreateBucket",
            "PutPublicAccessBlock",
            "PutBucketVersioning",
            "PutBucketEncryption",
            "PutBucketPolicy",
            "PutObjectLockConfiguration",
            "PutBucketLifecycleConfiguration",
        }
    ),
    Service.CLOUDTRAIL: frozenset(
        {"UpdateTrail", "StartLogging", "PutEventSelectors", "CreateTrail"}
    ),
    Service.S3CONTROL: frozenset({"CreateJob"}),
    Service.KMS: frozenset({"CancelKeyDeletion", "EnableKey", "EnableKeyRotation"}),
}
ALLOWED_CHECKS: dict[Service, frozenset[str]] = {
    Service.S3: frozenset(
        {
            "HeadBucket",
            "GetPublicAccessBlock",
            "GetBucketVersioning",
            "GetBucketEncryption",
            "GetObjectLockConfiguration",
            "GetBucketPolicy",
            "GetBucketPolicyStatus",
            "GetBucketAcl",
            "GetBucketReplication",
            "GetBucketLifecycleConfiguration",
        }
    ),
    Service.CLOUDTRAIL: frozenset({"GetTrail", "GetTrailStatus", "GetEventSelectors"}),
    Service.S3CONTROL: frozenset({"ListJobs"}),
    Service.KMS: frozenset({"DescribeKey", "GetKeyRotationStatus"}),
}


class PlanFileError(InputError):
    """``plan.json`` is unreadable or does not follow the plan format."""


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The JSON document of ``plan.json`` (plain types)."""
    return _document(plan, [_entry_to_dict(entry) for entry in plan.entries])


def _document(plan: Plan, entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schema_version": PLAN_SCHEMA_VERSION,
        "run_started_at": plan.run_started_at,
        "organization_id": plan.organization_id,
        "settings": {
            "strategy": plan.settings.strategy.value,
            "mode": plan.settings.mode.value if plan.settings.mode else None,
            "days": plan.settings.days,
            # Written only when set: the plans of runs without it stay as they were.
            **(
                {"priority_accounts": list(plan.settings.priority_accounts)}
                if plan.settings.priority_accounts
                else {}
            ),
        },
        "retention": _retention(plan.retention),
        "account_names": dict(sorted(plan.account_names.items())),
        "entries": entries,
    }


def iter_dumps(plan: Plan) -> Iterator[str]:
    """``plan.json`` as text, in pieces made as they are written (entries included)."""
    return json_pieces(_document(plan, LazyArray(plan.entries, _entry_to_dict)))


def dumps(plan: Plan) -> str:
    """``plan.json`` as text."""
    return "".join(iter_dumps(plan))


def _retention(retention: Retention | None) -> dict[str, Any] | None:
    return None if retention is None else {"mode": retention.mode.value, "days": retention.days}


def _entry_to_dict(entry: PlanEntry) -> dict[str, Any]:
    return {
        "bucket_name": entry.bucket_name,
        "bucket_account_id": entry.bucket_account_id,
        "acting_account_id": entry.acting_account_id,
        "region": entry.region,
        "strategy": entry.strategy.value if entry.strategy else None,
        "findings": list(entry.findings),
        "reason_codes": [code.value for code in entry.reason_codes],
        "retention": _retention(entry.retention),
        "new_bucket_name": entry.new_bucket_name,
        "explanation": entry.explanation,
        "warnings": list(entry.warnings),
        "steps": [_step_to_dict(step) for step in entry.steps],
        # Bucket entries keep the plan format they always had; other kinds say what they are.
        **(
            {}
            if entry.kind is EntryKind.BUCKET
            else {
                "kind": entry.kind.value,
                "gaps": [why.value for why in entry.gaps],
                "accounts": list(entry.accounts),
                **({"check": entry.check.value} if entry.check else {}),
            }
        ),
    }


def _step_to_dict(step: Step) -> dict[str, Any]:
    check = step.check
    return {
        "account_id": step.account_id,
        "region": step.region,
        "service": step.service.value,
        "operation": step.operation,
        "parameters": dict(step.parameters),
        "description": step.description,
        "fixes": list(step.fixes),
        "check": None
        if check is None
        else {
            "operation": check.operation,
            "parameters": dict(check.parameters),
            "condition": check.condition,
            "absent_codes": list(check.absent_codes),
            # Only a check some error of which means "done" has them: others keep their form.
            **({"done_codes": list(check.done_codes)} if check.done_codes else {}),
        },
        "guards": [
            {
                "kind": guard.kind.value,
                "operation": guard.operation,
                "parameters": dict(guard.parameters),
                "condition": guard.condition,
                "reason": guard.reason,
                "absent_codes": list(guard.absent_codes),
            }
            for guard in step.guards
        ],
        # Only a lifecycle step has one: every other step keeps the format it always had.
        **({} if step.minimum_days is None else {"minimum_days": step.minimum_days}),
    }


# --------------------------------------------------------------------------- reading


def load_plan(path: Path) -> Plan:
    """Read and validate a ``plan.json``; raise ``PlanFileError`` on any defect."""
    try:
        text = read_regular_file(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanFileError(f"{path}: cannot be read ({exc})") from None
    return loads(text, source=str(path))


def loads(text: str, source: str = PLAN_FILE) -> Plan:
    """Parse and validate the text of a ``plan.json``."""
    document = parse_json_text(text, source, PlanFileError)
    try:
        return _parse_plan(document)
    except (KeyError, TypeError, ValueError) as exc:
        raise PlanFileError(f"{source}: does not follow the plan format ({exc})") from None


def _typed(obj: Mapping[str, Any], key: str, kind: type, *, optional: bool = False) -> Any:
    return typed_value(obj, key, kind, optional=optional)


def _account(obj: Mapping[str, Any], key: str, *, optional: bool = False) -> str | None:
    value = _typed(obj, key, str, optional=optional)
    if value is not None and not ACCOUNT_ID_RE.match(value):
        raise ValueError(f"{key!r} must be a 12-digit account id, not {value!r:.60}")
    return value  # type: ignore[no-any-return]


def _strings(obj: Mapping[str, Any], key: str) -> tuple[str, ...]:
    items = _typed(obj, key, list)
    if not all(isinstance(item, str) for item in items):
        raise TypeError(f"{key!r} must be a list of strings")
    return tuple(items)


def _parse_retention(raw: Any) -> Retention | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise TypeError("'retention' must be an object")
    days = _typed(raw, "days", int)
    if days < 1:
        raise ValueError("'days' must be positive")
    return Retention(mode=LockMode(_typed(raw, "mode", str)), days=days)


def _parse_plan(raw: Any) -> Plan:
    if not isinstance(raw, dict):
        raise TypeError("the top level must be a JSON object")
    version = raw.get("schema_version")
    if version not in (PLAN_SCHEMA_VERSION, _LEGACY_SCHEMA_VERSION) or isinstance(version, bool):
        raise ValueError(f"schema_version must be {PLAN_SCHEMA_VERSION}")
    legacy = version == _LEGACY_SCHEMA_VERSION
    settings_raw = _typed(raw, "settings", dict)
    mode = _typed(settings_raw, "mode", str, optional=True)
    settings = RemediationSettings(
        strategy=Strategy(_typed(settings_raw, "strategy", str)),
        mode=LockMode(mode) if mode else None,
        days=_typed(settings_raw, "days", int, optional=True),
        priority_accounts=(
            _strings(settings_raw, "priority_accounts")
            if "priority_accounts" in settings_raw
            else ()
        ),
    )
    retention = _parse_retention(raw["retention"])
    if retention is None:
        raise ValueError("'retention' is missing")
    names_raw = _typed(raw, "account_names", dict)
    names: dict[str, str | None] = {}
    for account_id, name in names_raw.items():
        if not ACCOUNT_ID_RE.match(account_id) or not (name is None or isinstance(name, str)):
            raise ValueError(f"account_names has a bad row {account_id!r:.20}")
        names[account_id] = name
    return Plan(
        run_started_at=_typed(raw, "run_started_at", str),
        organization_id=_typed(raw, "organization_id", str, optional=True),
        settings=settings,
        retention=retention,
        entries=tuple(_parse_entry(item, legacy) for item in _typed(raw, "entries", list)),
        account_names=names,
    )


def _parse_entry(raw: Any, legacy: bool) -> PlanEntry:
    if not isinstance(raw, dict):
        raise TypeError("each entry must be an object")
    strategy = _typed(raw, "strategy", str, optional=True)
    return PlanEntry(
        bucket_name=_typed(raw, "bucket_name", str),
        bucket_account_id=_account(raw, "bucket_account_id", optional=True),
        acting_account_id=_account(raw, "acting_account_id", optional=True),
        region=_typed(raw, "region", str, optional=True),
        strategy=Strategy(strategy) if strategy else None,
        findings=_strings(raw, "findings"),
        reason_codes=tuple(ReasonCode(code) for code in _strings(raw, "reason_codes")),
        retention=_parse_retention(raw["retention"]),
        new_bucket_name=_typed(raw, "new_bucket_name", str, optional=True),
        steps=tuple(_parse_step(item, legacy) for item in _typed(raw, "steps", list)),
        explanation=_typed(raw, "explanation", str),
        warnings=_strings(raw, "warnings"),
        kind=EntryKind(_typed(raw, "kind", str) if "kind" in raw else EntryKind.BUCKET.value),
        gaps=tuple(GapWhy(why) for why in _strings(raw, "gaps")) if "gaps" in raw else (),
        accounts=_accounts(raw),
        check=IntegrityCode(_typed(raw, "check", str)) if "check" in raw else None,
    )


def _accounts(raw: Mapping[str, Any]) -> tuple[str, ...]:
    found = _strings(raw, "accounts") if "accounts" in raw else ()
    for account_id in found:
        if not ACCOUNT_ID_RE.match(account_id):
            raise ValueError(f"'accounts' holds {account_id!r:.20}, not a 12-digit account id")
    return found


def _parse_step(raw: Any, legacy: bool) -> Step:
    if not isinstance(raw, dict):
        raise TypeError("each step must be an object")
    service = Service(_typed(raw, "service", str))
    operation = _typed(raw, "operation", str)
    if operation not in ALLOWED_OPERATIONS[service]:
        raise ValueError(f"operation {service.value}:{operation[:40]!r} is not allowed in a plan")
    check_raw = _typed(raw, "check", dict, optional=True)
    check = None
    if check_raw is not None:
        check = Check(
            operation=_read_operation(check_raw, service, "check"),
            parameters=_typed(check_raw, "parameters", dict),
            condition=_typed(check_raw, "condition", str, optional=True),
            absent_codes=() if legacy else _strings(check_raw, "absent_codes"),
            done_codes=_strings(check_raw, "done_codes") if "done_codes" in check_raw else (),
        )
    guards = []
    for guard_raw in [] if legacy else _typed(raw, "guards", list):
        if not isinstance(guard_raw, dict):
            raise TypeError("each guard must be an object")
        guards.append(
            Guard(
                kind=GuardKind(_typed(guard_raw, "kind", str)),
                operation=_read_operation(guard_raw, service, "guard"),
                parameters=_typed(guard_raw, "parameters", dict),
                reason=_typed(guard_raw, "reason", str),
                condition=_typed(guard_raw, "condition", str, optional=True),
                absent_codes=_strings(guard_raw, "absent_codes"),
            )
        )
    region = _typed(raw, "region", str)
    if not REGION_RE.match(region):
        raise ValueError(f"'region' is not an AWS region name: {region!r:.40}")
    return Step(
        account_id=_account(raw, "account_id") or "",
        region=region,
        service=service,
        operation=operation,
        parameters=_typed(raw, "parameters", dict),
        description=_typed(raw, "description", str),
        fixes=_strings(raw, "fixes"),
        check=check,
        guards=tuple(guards),
        minimum_days=_minimum_days(raw),
    )


def _minimum_days(raw: Mapping[str, Any]) -> int | None:
    days: int | None = _typed(raw, "minimum_days", int) if "minimum_days" in raw else None
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise ValueError(f"'minimum_days' must be 1 to {MAX_DAYS}, not {days}")
    return days


def _read_operation(raw: Mapping[str, Any], service: Service, what: str) -> str:
    operation: str = _typed(raw, "operation", str)
    if operation not in ALLOWED_CHECKS[service]:
        raise ValueError(f"{what} {service.value}:{operation[:40]!r} is not allowed in a plan")
    return operation
