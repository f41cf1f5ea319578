"""``ScanSettings``, each setting declared once: its field carries its config key, its check,
its help and its command-line option (``Setting`` in the field's metadata).

Everything else is read from these declarations (``SETTINGS``): ``to_dict``, the config file's
keys and checks and ``settings_to_config`` (``orgscan.config.loading``, ``orgscan config
show``), and the options of ``orgscan scan`` (``orgscan.cli.scan_options``). A new setting is
one field here and the code that uses it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import MISSING, Field, dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

from orgscan.config import validators as check
from orgscan.config.choices import FailOn, LogFormat, LogLevel, Panel
from orgscan.config.declaration import METADATA, Option, Setting, declare, plain
from orgscan.config.evidence_bucket import EvidenceBucket
from orgscan.config.policy_settings import POLICY_SETTINGS
from orgscan.config.tamper import TAMPER_FIELD, TamperSettings
from orgscan.exceptions_register import ExceptionEntry, ExceptionRegister
from orgscan.formats import FORMATS, OutputFormat, default_formats, format_help
from orgscan.identifiers import (
    ACCOUNT_ID_RE,
    DEFAULT_ROLE_NAME,
    DEFAULT_SESSION_NAME,
    EXTERNAL_ID_RE,
    ROLE_NAME_RE,
    SESSION_NAME_RE,
)
from orgscan.model import MAX_RETENTION_DAYS, LockMode, Policy
from orgscan.remediation.plan_model import RemediationSettings

MAX_WORKERS = 512
MAX_ATTEMPTS = 20


def _remediation(remediation: RemediationSettings) -> dict[str, Any]:
    values = {key: getattr(remediation, key) for key in check.REMEDIATION_KEYS}
    return {key: plain(value) for key, value in values.items() if value not in (None, ())}


def _entry(entry: ExceptionEntry) -> dict[str, Any]:
    key = "trail_arn" if entry.trail_arn is not None else "bucket_name"
    return {
        key: getattr(entry, key),
        "owner": entry.owner,
        "reason": entry.reason,
        "expires": entry.expires,
    }


@dataclass(frozen=True)
class ScanSettings:
    """Everything ``orgscan scan`` needs to know, validated."""

    use_org: bool = field(
        default=True,
        metadata=declare(
            Setting(
                "org",
                check.boolean,
                "Discover accounts with Organizations, or scan only the caller's account.",
                Option(Panel.SCOPE, bool, flag=True, declaration="--org/--no-org", default="--org"),
            )
        ),
    )
    accounts: tuple[str, ...] = field(
        default=(),
        metadata=declare(
            Setting(
                "accounts",
                check.account_ids,
                "Only these accounts (comma-separated 12-digit ids).",
                Option(Panel.SCOPE, metavar="IDS"),
            )
        ),
    )
    exclude_accounts: tuple[str, ...] = field(
        default=(),
        metadata=declare(
            Setting(
                "exclude_accounts",
                check.account_ids,
                "Skip these accounts (comma-separated ids).",
                Option(Panel.SCOPE, metavar="IDS"),
            )
        ),
    )
    ous: tuple[str, ...] = field(
        default=(),
        metadata=declare(
            Setting(
                "ou",
                check.ou_ids,
                "Only accounts under this OU (nested OUs included); repeatable.",
                Option(Panel.SCOPE, list[str], metavar="OU_ID"),
            )
        ),
    )
    regions: tuple[str, ...] = field(
        default=(),
        metadata=declare(
            Setting(
                "regions",
                check.regions,
                "Regions to scan (comma-separated).",
                Option(Panel.SCOPE, metavar="REGIONS", default="every enabled region"),
            )
        ),
    )
    role_name: str = field(
        default=DEFAULT_ROLE_NAME,
        metadata=declare(
            Setting(
                "role_name",
                check.matching(
                    ROLE_NAME_RE, "an IAM role name (1-64 of letters, digits, +=,.@_-/)"
                ),
                "Role assumed in member accounts.",
                Option(Panel.ACCESS, metavar="NAME"),
            )
        ),
    )
    external_id: str | None = field(
        default=None,
        metadata=declare(
            Setting(
                "external_id",
                check.matching(
                    EXTERNAL_ID_RE, "an external id (2-1224 of letters, digits, +=,.@:/_-)"
                ),
                "External id for AssumeRole.",
                Option(Panel.ACCESS, metavar="ID"),
                log=lambda value: "(set)" if value else None,  # a secret stays out of the log
            )
        ),
    )
    role_session_name: str = field(
        default=DEFAULT_SESSION_NAME,
        metadata=declare(
            Setting(
                "role_session_name",
                check.matching(
                    SESSION_NAME_RE, "a session name (2-64 of letters, digits, +=,.@_-)"
                ),
                "Session name for AssumeRole (shows in CloudTrail).",
                Option(Panel.ACCESS, metavar="NAME"),
            )
        ),
    )
    workers: int = field(
        default=16,
        metadata=declare(
            Setting(
                "workers",
                check.int_between(1, MAX_WORKERS),
                f"AWS calls in flight at once (1-{MAX_WORKERS}).",
                Option(Panel.ACCESS, int, metavar="N"),
            )
        ),
    )
    output_dir: Path = field(
        default=Path("reports"),
        metadata=declare(
            Setting(
                "output_dir",
                check.folder,
                "Where the run folder is written.",
                Option(Panel.OUTPUT, Path, metavar="DIR", default="reports/"),
            )
        ),
    )
    formats: tuple[OutputFormat, ...] = field(
        default=default_formats(FORMATS),
        metadata=declare(
            Setting(
                "format",
                check.output_formats,
                format_help(FORMATS),
                Option(Panel.OUTPUT, metavar="FORMATS"),
            )
        ),
    )
    policy: Policy = field(
        default_factory=Policy,
        metadata=declare(*POLICY_SETTINGS),
    )
    tamper: TamperSettings = TAMPER_FIELD
    fail_on: FailOn = field(
        default=FailOn.FAIL,
        metadata=declare(
            Setting(
                "fail_on",
                check.choice(FailOn),
                "Exit 1 when a finding or account verdict is at or above this status; never: no 1.",
                Option(Panel.POLICY, FailOn),
            )
        ),
    )
    max_attempts: int | None = field(
        default=None,
        metadata=declare(
            Setting(
                "max_attempts",
                check.int_between(1, MAX_ATTEMPTS),
                f"AWS call attempts, retries included (1-{MAX_ATTEMPTS}).",
                Option(Panel.ACCESS, int, metavar="N", default="botocore's"),
            )
        ),
    )
    serial: bool = field(
        default=False,
        metadata=declare(
            Setting(
                "serial",
                check.boolean,
                "Run every AWS call in the main thread (debugging).",
                Option(Panel.ACCESS, bool, flag=True),
            )
        ),
    )
    log_level: LogLevel = field(
        default=LogLevel.INFO,
        metadata=declare(
            Setting(
                "log_level",
                check.choice(LogLevel),
                "How much orgscan.log tells: INFO the run's story, DEBUG every AWS call.",
                Option(Panel.LOGGING, LogLevel),
            )
        ),
    )
    log_format: LogFormat = field(
        default=LogFormat.TEXT,
        metadata=declare(
            Setting(
                "log_format",
                check.choice(LogFormat),
                "Lines of text, or one JSON object per line.",
                Option(Panel.LOGGING, LogFormat),
            )
        ),
    )
    quiet: bool = field(
        default=False,
        metadata=declare(
            Setting(
                "quiet",
                check.boolean,
                "No summary or progress on the terminal (for cron).",
                Option(Panel.OUTPUT, bool, flag=True, short="-q"),
            )
        ),
    )
    remediation: RemediationSettings = field(
        default_factory=RemediationSettings,
        metadata=declare(
            Setting(
                "remediation",
                check.remediation,
                "How the remediation plan fixes a bucket: strategy, mode, days, priority_accounts.",
                show=_remediation,
            )
        ),
    )
    # Regions an organization policy is known to deny (e.g. Control Tower's region deny): a
    # denial there is expected and leaves the run complete.
    denied_regions: tuple[str, ...] = field(
        default=(),
        metadata=declare(
            Setting(
                "denied_regions",
                check.region_names,
                "Regions an organization policy denies: their denial leaves the run complete.",
            )
        ),
    )
    exceptions: ExceptionRegister = field(
        default_factory=ExceptionRegister,
        metadata=declare(
            Setting(
                "exceptions",
                check.register,
                "Exceptions register: a TOML file of exceptions entries; replaces the config "
                "file's.",
                Option(Panel.POLICY, Path, metavar="FILE"),
                show=lambda register: [_entry(entry) for entry in register.entries],
                log=lambda register: len(register.entries),
            )
        ),
    )
    #: Where the finished run folder is copied under Object Lock (``--evidence-bucket``).
    evidence_bucket: EvidenceBucket | None = field(
        default=None,
        metadata=declare(
            Setting(
                "evidence_bucket",
                check.evidence_bucket,
                "After the run, copy the run folder to s3://BUCKET/PREFIX, each object under "
                "Object Lock retention (the bucket must have Object Lock).",
                Option(Panel.OUTPUT, metavar="S3_URI"),
            )
        ),
    )
    #: The account that must own the evidence bucket; None: the caller's own account.
    evidence_bucket_owner: str | None = field(
        default=None,
        metadata=declare(
            Setting(
                "evidence_bucket_owner",
                check.matching(ACCOUNT_ID_RE, "a 12-digit AWS account id"),
                "Account that must own the evidence bucket (e.g. a central log-archive "
                "account); S3 refuses the copy into a bucket any other account owns.",
                Option(Panel.OUTPUT, metavar="ACCOUNT_ID", default="the caller's account"),
            )
        ),
    )
    evidence_lock_mode: LockMode | None = field(
        default=None,
        metadata=declare(
            Setting(
                "evidence_lock_mode",
                check.choice(LockMode),
                "Retention mode of the copied objects.",
                # A word, not a choice: a bad one is the core's one line, like the config file's.
                Option(Panel.OUTPUT, metavar="COMPLIANCE|GOVERNANCE", default="COMPLIANCE"),
            )
        ),
    )
    evidence_retention_days: int | None = field(
        default=None,
        metadata=declare(
            Setting(
                "evidence_retention_days",
                check.int_between(1, MAX_RETENTION_DAYS),
                "Retention of the copied objects in days.",
                Option(Panel.OUTPUT, int, metavar="DAYS", default="--min-retention-days, else 365"),
            )
        ),
    )

    def to_dict(self) -> dict[str, object]:
        """The settings as plain values by config key, secrets left out (for the log)."""
        return {
            setting.key: (setting.log or setting.show)(value_of(self, name, setting))
            for name, setting in declared(type(self))
            if setting.show is not None
        }


def declared(settings_class: type = ScanSettings) -> Iterator[tuple[str, Setting]]:
    """Every setting with the name of the ``ScanSettings`` field it sets, in field order."""
    for spec in fields(settings_class):
        for setting in spec.metadata[METADATA]:
            yield spec.name, setting


def settings_by_key(settings_class: type = ScanSettings) -> Mapping[str, tuple[str, Setting]]:
    """Every config key of ``settings_class`` with its field's name and declaration."""
    table: dict[str, tuple[str, Setting]] = {}
    for name, setting in declared(settings_class):
        if setting.key in table:  # found when the module is imported, before any scan
            raise AssertionError(f"config key {setting.key!r} is declared twice")
        table[setting.key] = (name, setting)
    return MappingProxyType(table)


#: Every config key with its field and declaration.
SETTINGS = settings_by_key()


def field_default(name: str) -> Any:
    """The default of the ``ScanSettings`` field ``name``."""
    spec: Field[Any] = ScanSettings.__dataclass_fields__[name]
    if spec.default_factory is not MISSING:
        return spec.default_factory()
    return spec.default


def value_of(settings: Any, name: str, setting: Setting) -> Any:
    """What ``setting`` holds in ``settings`` (its field, or its part of the field)."""
    value = getattr(settings, name)
    return getattr(value, setting.part) if setting.part is not None else value
