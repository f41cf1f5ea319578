"""Scan settings: defaults, a TOML config file and command-line values, validated once.

Precedence: built-in defaults < the config file (``--config``) < the command line. Every value
is checked here; a bad one raises ``InputError`` naming the file (or option), the key and what
was expected, so the CLI can exit 2 before anything is written.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from orgscan.errors import InputError
from orgscan.evidence.bucket import EvidenceBucket, parse_evidence_bucket
from orgscan.exceptions_register import (
    ExceptionEntry,
    ExceptionRegister,
    ExceptionsFileError,
    load_register,
    parse_register,
)
from orgscan.identifiers import (
    ACCOUNT_ID_RE,
    DEFAULT_ROLE_NAME,
    DEFAULT_SESSION_NAME,
    EXTERNAL_ID_RE,
    OU_ID_RE,
    REGION_RE,
    ROLE_NAME_RE,
    SESSION_NAME_RE,
)
from orgscan.model import MAX_RETENTION_DAYS, LockMode, Policy, RequiredMode, Status
from orgscan.remediation.model import RemediationSettings, Strategy
from orgscan.remediation.plan import resolve_retention

MAX_WORKERS = 512
DAYS_PER_YEAR = 365  # a retention Year, as the scan counts an Object Lock rule in Years
MAX_ATTEMPTS = 20


class OutputFormat(StrEnum):
    """A ``--format`` name: what a run writes besides ``findings.json``.

    Every member has a writer in ``orgscan.runs.output.WRITERS``; a new format is a member here
    and one entry there. An ``opt_in`` format is left out of the default set.
    """

    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"
    HTML = "html"
    SCRIPTS = "scripts"
    ASFF = "asff"
    OCSF = "ocsf"

    @property
    def opt_in(self) -> bool:
        """True for a format written only when named: the security-finding exports."""
        return self in (OutputFormat.ASFF, OutputFormat.OCSF)


class FailOn(StrEnum):
    """Which findings make ``orgscan scan`` exit 1."""

    FAIL = "FAIL"
    WARN = "WARN"
    NEVER = "never"

    def triggered_by(self, status: Status) -> bool:
        """True when a finding with ``status`` is at or above this level."""
        if self is FailOn.NEVER:
            return False
        if self is FailOn.WARN:
            return status in (Status.WARN, Status.FAIL)
        return status is Status.FAIL


@dataclass(frozen=True)
class ScanSettings:
    """Everything ``orgscan scan`` needs to know, validated."""

    use_org: bool = True
    accounts: tuple[str, ...] = ()
    exclude_accounts: tuple[str, ...] = ()
    ous: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    role_name: str = DEFAULT_ROLE_NAME
    external_id: str | None = None
    role_session_name: str = DEFAULT_SESSION_NAME
    workers: int = 16
    output_dir: Path = Path("reports")
    formats: tuple[OutputFormat, ...] = tuple(fmt for fmt in OutputFormat if not fmt.opt_in)
    policy: Policy = field(default_factory=Policy)
    fail_on: FailOn = FailOn.FAIL
    max_attempts: int | None = None
    serial: bool = False
    log_level: str = "INFO"
    log_format: str = "text"
    quiet: bool = False
    exceptions: ExceptionRegister = field(default_factory=ExceptionRegister)
    remediation: RemediationSettings = field(default_factory=RemediationSettings)
    #: Where the finished run folder is copied under Object Lock (``--evidence-bucket``).
    evidence_bucket: EvidenceBucket | None = None
    evidence_lock_mode: LockMode | None = None
    evidence_retention_days: int | None = None
    # Regions an organization policy is known to deny (e.g. Control Tower's region deny): a
    # denial there is expected and leaves the run complete.
    denied_regions: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """The settings as plain values (for the log and the reports' Run sheet)."""
        return {
            "org": self.use_org,
            "accounts": list(self.accounts),
            "exclude_accounts": list(self.exclude_accounts),
            "ou": list(self.ous),
            "regions": list(self.regions),
            "role_name": self.role_name,
            "external_id": "(set)" if self.external_id else None,
            "role_session_name": self.role_session_name,
            "workers": self.workers,
            "output_dir": str(self.output_dir),
            "format": [fmt.value for fmt in self.formats],
            "fail_on": self.fail_on.value,
            "max_attempts": self.max_attempts,
            "serial": self.serial,
            "log_level": self.log_level,
            "log_format": self.log_format,
            "quiet": self.quiet,
            "exceptions": len(self.exceptions.entries),
            "remediation": _remediation_dict(self.remediation),
            "evidence_bucket": str(self.evidence_bucket) if self.evidence_bucket else None,
            "evidence_lock_mode": (
                self.evidence_lock_mode.value if self.evidence_lock_mode else None
            ),
            "evidence_retention_days": self.evidence_retention_days,
            "denied_regions": list(self.denied_regions),
            **self.policy.to_dict(),
        }


# Config-file keys (the long option names with "_" for "-") and the ScanSettings field each sets.
_KEYS: dict[str, str] = {
    "org": "use_org",
    "accounts": "accounts",
    "exclude_accounts": "exclude_accounts",
    "ou": "ous",
    "regions": "regions",
    "role_name": "role_name",
    "external_id": "external_id",
    "role_session_name": "role_session_name",
    "workers": "workers",
    "output_dir": "output_dir",
    "format": "formats",
    "min_retention_days": "min_retention_days",
    "min_retention_years": "min_retention_years",
    "require_mode": "require_mode",
    "require_default_retention": "require_default_retention",
    "fail_on": "fail_on",
    "max_attempts": "max_attempts",
    "serial": "serial",
    "log_level": "log_level",
    "log_format": "log_format",
    "quiet": "quiet",
    "exceptions": "exceptions",
    "remediation": "remediation",
    "evidence_bucket": "evidence_bucket",
    "evidence_lock_mode": "evidence_lock_mode",
    "evidence_retention_days": "evidence_retention_days",
    "denied_regions": "denied_regions",
}
_REMEDIATION_KEYS = ("strategy", "mode", "days")


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse a TOML config file; errors name the file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"config file {path}: not found") from None
    except IsADirectoryError:
        raise InputError(f"config file {path}: is a directory") from None
    except OSError as exc:
        raise InputError(f"config file {path}: cannot be read ({exc.strerror})") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"config file {path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"config file {path}: invalid TOML ({exc})") from None
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise InputError(f"config file {path}: invalid TOML (nested too deeply)") from None


def build_settings(
    config: Mapping[str, Any] | None, cli: Mapping[str, Any], source: str = "config"
) -> ScanSettings:
    """Merge config-file values with command-line values (CLI wins) and validate them.

    ``cli`` holds only the options given on the command line, by config key; ``source`` names
    the config file in error messages.
    """
    merged: dict[str, tuple[Any, str]] = {}
    for key, value in (config or {}).items():
        if key not in _KEYS:
            known = ", ".join(sorted(_KEYS))
            raise InputError(f"{source}: unknown key {key!r} (known keys: {known})")
        merged[key] = (value, f"{source}: key {key!r}")
    for key, value in cli.items():
        if value is not None:
            merged[key] = (value, f"option --{key.replace('_', '-')}")
    fields: dict[str, Any] = {}
    for key, (value, where) in merged.items():
        fields[_KEYS[key]] = _VALIDATORS[key](value, where)
    years = fields.pop("min_retention_years", None)
    if years is not None:
        days_where = merged.get("min_retention_days", (None, ""))[1]
        years_where = merged["min_retention_years"][1]
        same_layer = days_where.startswith("option") == years_where.startswith("option")
        if days_where and same_layer and fields["min_retention_days"] != years * DAYS_PER_YEAR:
            raise InputError(
                f"{years_where}: give the minimum retention in days or in years, not both"
            )
        if years_where.startswith("option") or not days_where:  # the command line wins
            fields["min_retention_days"] = years * DAYS_PER_YEAR  # as S3 counts a Year
    policy = Policy(
        require_default_retention=fields.pop("require_default_retention", True),
        require_mode=fields.pop("require_mode", RequiredMode.ANY),
        min_retention_days=fields.pop("min_retention_days", None),
    )
    settings = ScanSettings(policy=policy, **fields)
    overlap = set(settings.accounts) & set(settings.exclude_accounts)
    if overlap:
        raise InputError(f"accounts both included and excluded: {', '.join(sorted(overlap))}")
    if not settings.use_org and (settings.ous or settings.exclude_accounts):
        raise InputError("--ou and --exclude-accounts need --org")
    if "remediation" in merged:
        try:  # checked now, so a contradiction stops the scan before anything is written
            resolve_retention(settings.remediation, settings.policy)
        except InputError as exc:
            raise InputError(f"{merged['remediation'][1]}: {exc}") from None
    return settings


def settings_to_config(settings: ScanSettings) -> dict[str, Any]:
    """``settings`` as a config-file document that ``build_settings`` reads back to them.

    TOML has no null: settings left unset (no region list, no external id, ...) are left out.
    """
    policy = settings.policy
    document: dict[str, Any] = {
        "org": settings.use_org,
        "accounts": list(settings.accounts),
        "exclude_accounts": list(settings.exclude_accounts),
        "ou": list(settings.ous),
        "regions": list(settings.regions),
        "role_name": settings.role_name,
        "external_id": settings.external_id,
        "role_session_name": settings.role_session_name,
        "workers": settings.workers,
        "output_dir": str(settings.output_dir),
        "format": [fmt.value for fmt in settings.formats],
        "min_retention_days": policy.min_retention_days,
        "require_mode": policy.require_mode.value,
        "require_default_retention": policy.require_default_retention,
        "fail_on": settings.fail_on.value,
        "max_attempts": settings.max_attempts,
        "serial": settings.serial,
        "log_level": settings.log_level,
        "log_format": settings.log_format,
        "quiet": settings.quiet,
        "remediation": _remediation_dict(settings.remediation),
        "denied_regions": list(settings.denied_regions),
        "exceptions": [_entry_dict(entry) for entry in settings.exceptions.entries],
        "evidence_bucket": str(settings.evidence_bucket) if settings.evidence_bucket else None,
        "evidence_lock_mode": (
            settings.evidence_lock_mode.value if settings.evidence_lock_mode else None
        ),
        "evidence_retention_days": settings.evidence_retention_days,
    }
    return {key: value for key, value in document.items() if value not in (None, [], {})}


def _remediation_dict(remediation: RemediationSettings) -> dict[str, Any]:
    values = {
        "strategy": remediation.strategy.value,
        "mode": remediation.mode.value if remediation.mode else None,
        "days": remediation.days,
    }
    return {key: value for key, value in values.items() if value is not None}


def _entry_dict(entry: ExceptionEntry) -> dict[str, Any]:
    target = (
        {"trail_arn": entry.trail_arn}
        if entry.trail_arn is not None
        else {"bucket_name": entry.bucket_name}
    )
    return {**target, "owner": entry.owner, "reason": entry.reason, "expires": entry.expires}


# ------------------------------------------------------------------ validators


def _string_list(value: Any, where: str) -> list[str]:
    """A list of strings from a TOML array or a comma-separated string."""
    if isinstance(value, str):
        items = [item.strip() for item in value.split(",")]
    elif isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        items = [item.strip() for item in value]
    else:
        raise InputError(f"{where}: expected a list of strings or a comma-separated string")
    return [item for item in items if item]


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _account_ids(value: Any, where: str) -> tuple[str, ...]:
    ids = _string_list(value, where)
    if isinstance(value, str) and not ids:
        # `--accounts ""` (an unset variable in a cron line) must not quietly mean "all".
        raise InputError(f"{where}: no account id given")
    for account_id in ids:
        if not ACCOUNT_ID_RE.match(account_id):
            raise InputError(f"{where}: {account_id!r:.40} is not a 12-digit AWS account id")
    return _unique(ids)


def _ou_ids(value: Any, where: str) -> tuple[str, ...]:
    ids = _string_list([value] if isinstance(value, str) else value, where)
    for ou_id in ids:
        if not OU_ID_RE.match(ou_id):
            raise InputError(
                f"{where}: {ou_id!r:.40} is not an OU id (ou-xxxx-xxxxxxxx) or root id (r-xxxx)"
            )
    return _unique(ids)


def _region_names(value: Any, where: str) -> tuple[str, ...]:
    regions = _string_list(value, where)
    for region in regions:
        if not REGION_RE.match(region):
            raise InputError(f"{where}: {region!r:.40} is not an AWS region name")
    return _unique(regions)


def _regions(value: Any, where: str) -> tuple[str, ...]:
    regions = _region_names(value, where)
    if not regions:
        raise InputError(f"{where}: needs at least one region")
    return _unique(regions)


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise InputError(f"{where}: expected true or false")
    return value


def _int_between(low: int, high: int) -> Any:
    def check(value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            # A string is refused even when it reads as a number ("8", " 16 ", "١٦"): a
            # quoted number in a config file is a type mistake, and the documented answer
            # to a wrong type is exit 2, not a guess.
            given = f" (got the string {value!r:.40})" if isinstance(value, str) else ""
            raise InputError(f"{where}: expected a whole number from {low} to {high}{given}")
        if not low <= value <= high:
            raise InputError(f"{where}: {value} is out of range ({low} to {high})")
        return int(value)

    return check


def _matching(pattern: re.Pattern[str], what: str) -> Any:
    def check(value: Any, where: str) -> str:
        if not isinstance(value, str) or not pattern.match(value):
            raise InputError(f"{where}: expected {what}")
        return value

    return check


def _choice(enum: type[StrEnum]) -> Any:
    def check(value: Any, where: str) -> StrEnum:
        if isinstance(value, str):
            for member in enum:
                if member.value.lower() == value.strip().lower():
                    return member
        choices = ", ".join(member.value for member in enum)
        raise InputError(f"{where}: expected one of {choices}")

    return check


def _one_of(*choices: str) -> Any:
    def check(value: Any, where: str) -> str:
        if isinstance(value, str):
            for choice in choices:
                if choice.lower() == value.strip().lower():
                    return choice
        raise InputError(f"{where}: expected one of {', '.join(choices)}")

    return check


def _formats(value: Any, where: str) -> tuple[OutputFormat, ...]:
    names = [name.lower() for name in _string_list(value, where)]
    known = [fmt.value for fmt in OutputFormat]
    if not names or any(name not in known for name in names):
        raise InputError(f"{where}: expected any of {', '.join(known)}")
    return tuple(OutputFormat(name) for name in _unique(names))


def _output_dir(value: Any, where: str) -> Path:
    if not isinstance(value, str | Path) or not str(value).strip() or "\x00" in str(value):
        raise InputError(f"{where}: expected a folder path")
    path = Path(value).expanduser()
    try:
        is_other = path.exists() and not path.is_dir()
    except OSError as exc:  # a name too long, a folder that may not be read
        raise InputError(f"{where}: {path!s:.80} cannot be used ({exc.strerror})") from None
    if is_other:
        raise InputError(f"{where}: {path} exists and is not a folder")
    return path


def _exceptions(value: Any, where: str) -> ExceptionRegister:
    """A register: a path to an exceptions file, or the entries inline (``[[exceptions]]``)."""
    if isinstance(value, str | Path) and str(value).strip():
        try:
            return load_register(Path(value).expanduser())
        except ExceptionsFileError as exc:
            raise InputError(f"{where}: {exc}") from None
    if isinstance(value, list):
        return parse_register(value, where)
    raise InputError(f"{where}: expected the path of an exceptions file or [[exceptions]] tables")


def _remediation(value: Any, where: str) -> RemediationSettings:
    if not isinstance(value, dict):
        raise InputError(
            f"{where}: expected a table ([remediation]) with any of {', '.join(_REMEDIATION_KEYS)}"
        )
    unknown = sorted(set(value) - set(_REMEDIATION_KEYS))
    if unknown:
        raise InputError(
            f"{where}: unknown key {unknown[0]!r} (known keys: {', '.join(_REMEDIATION_KEYS)})"
        )
    inner = {key: f"{where}: key {key!r}" for key in value}
    return RemediationSettings(
        strategy=(
            _choice(Strategy)(value["strategy"], inner["strategy"])
            if "strategy" in value
            else Strategy.ENABLE_IN_PLACE
        ),
        mode=_choice(LockMode)(value["mode"], inner["mode"]) if "mode" in value else None,
        days=(
            _int_between(1, MAX_RETENTION_DAYS)(value["days"], inner["days"])
            if "days" in value
            else None
        ),
    )


def _evidence_bucket(value: Any, where: str) -> EvidenceBucket:
    if not isinstance(value, str):
        raise InputError(f"{where}: expected s3://BUCKET/PREFIX")
    try:
        return parse_evidence_bucket(value)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None


_VALIDATORS: dict[str, Any] = {
    "org": _bool,
    "accounts": _account_ids,
    "exclude_accounts": _account_ids,
    "ou": _ou_ids,
    "regions": _regions,
    "role_name": _matching(ROLE_NAME_RE, "an IAM role name (1-64 of letters, digits, +=,.@_-/)"),
    "external_id": _matching(
        EXTERNAL_ID_RE, "an external id (2-1224 of letters, digits, +=,.@:/_-)"
    ),
    "role_session_name": _matching(
        SESSION_NAME_RE, "a session name (2-64 of letters, digits, +=,.@_-)"
    ),
    "workers": _int_between(1, MAX_WORKERS),
    "output_dir": _output_dir,
    "format": _formats,
    "min_retention_days": _int_between(1, MAX_RETENTION_DAYS),
    "min_retention_years": _int_between(1, MAX_RETENTION_DAYS // DAYS_PER_YEAR),
    "require_mode": _choice(RequiredMode),
    "require_default_retention": _bool,
    "fail_on": _choice(FailOn),
    "max_attempts": _int_between(1, MAX_ATTEMPTS),
    "serial": _bool,
    "log_level": _one_of("DEBUG", "INFO", "WARNING", "ERROR"),
    "log_format": _one_of("text", "json"),
    "quiet": _bool,
    "exceptions": _exceptions,
    "remediation": _remediation,
    "evidence_bucket": _evidence_bucket,
    "evidence_lock_mode": _choice(LockMode),
    "evidence_retention_days": _int_between(1, MAX_RETENTION_DAYS),
    "denied_regions": _region_names,
}
