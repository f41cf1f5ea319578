"""The options of ``orgscan scan``, defined once for every command that takes them.

``orgscan scan`` and ``orgscan config show`` accept the same options with the same meaning;
``with_scan_options`` adds them to a command, which then receives one ``ScanOptions``. Each
option is named after its config-file key (``--role-name`` is ``role_name``), so the values go
to ``build_settings`` as they are.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from orgscan.config import ScanSettings, build_settings, read_config_file

R = TypeVar("R")

# Help texts escape "[": typer renders help as rich markup, which drops "[default: ...]".
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="TOML config file.")]
OrgOpt = Annotated[bool | None, typer.Option(
    "--org/--no-org", help="Discover accounts with Organizations, or scan only the caller's "
                           "account.  \\[default: --org]", show_default=False)]
AccountsOpt = Annotated[str | None, typer.Option(
    "--accounts", help="Only these accounts (comma-separated ids).")]
ExcludeOpt = Annotated[str | None, typer.Option(
    "--exclude-accounts", help="Skip these accounts (comma-separated ids).")]
OuOpt = Annotated[list[str] | None, typer.Option(
    "--ou", help="Only accounts under this OU (nested OUs included); repeatable.")]
RegionsOpt = Annotated[str | None, typer.Option(
    "--regions", help="Regions to scan (comma-separated).  \\[default: every enabled region]")]
RoleOpt = Annotated[str | None, typer.Option(
    "--role-name", help="Role assumed in member accounts.  \\[default: "
                        "OrganizationAccountAccessRole]")]
ExternalIdOpt = Annotated[str | None, typer.Option("--external-id",
                                                   help="External id for AssumeRole.")]
SessionNameOpt = Annotated[str | None, typer.Option(
    "--role-session-name", help="Session name for AssumeRole.  \\[default: orgscan]")]
WorkersOpt = Annotated[int | None, typer.Option("--workers", help="Parallel workers.  "
                                                                   "\\[default: 16]")]
OutputOpt = Annotated[Path | None, typer.Option(
    "--output-dir", help="Where the run folder is written.  \\[default: reports/]")]
FormatOpt = Annotated[str | None, typer.Option(
    "--format", help="Any of json,csv,xlsx,html,scripts,asff,ocsf (findings.json is always "
                     "written; asff and ocsf only when named).  "
                     "\\[default: json,csv,xlsx,html,scripts]")]
MinDaysOpt = Annotated[int | None, typer.Option(
    "--min-retention-days", help="Policy: shortest acceptable default retention in days.")]
MinYearsOpt = Annotated[int | None, typer.Option(
    "--min-retention-years", help="Policy: shortest acceptable default retention in years "
                                  "(365 days each); instead of --min-retention-days.")]
ModeOpt = Annotated[str | None, typer.Option(
    "--require-mode", help="Policy: COMPLIANCE, GOVERNANCE or ANY.  \\[default: ANY]")]
FailOnOpt = Annotated[str | None, typer.Option(
    "--fail-on", help="Exit 1 when a finding is at or above FAIL or WARN; or never.  "
                      "\\[default: FAIL]")]
AttemptsOpt = Annotated[int | None, typer.Option(
    "--max-attempts", help="AWS call attempts, retries included.  \\[default: botocore's]")]
SerialOpt = Annotated[bool | None, typer.Option(
    "--serial", help="Run every AWS call in the main thread (debugging).", show_default=False)]
LogLevelOpt = Annotated[str | None, typer.Option(
    "--log-level", help="DEBUG, INFO, WARNING or ERROR.  \\[default: INFO]")]
LogFormatOpt = Annotated[str | None, typer.Option("--log-format",
                                                  help="text or json.  \\[default: text]")]
QuietOpt = Annotated[bool | None, typer.Option("--quiet", "-q", help="No summary or progress "
                                               "on the terminal (for cron).", show_default=False)]
ExceptionsOpt = Annotated[Path | None, typer.Option(
    "--exceptions", help="Exceptions register: a TOML file of exceptions entries; replaces "
                         "the config file's.")]
EvidenceBucketOpt = Annotated[str | None, typer.Option(
    "--evidence-bucket", help="After the run, copy the run folder to s3://BUCKET/PREFIX, each "
                              "object under Object Lock retention (the bucket must have Object "
                              "Lock).")]
EvidenceModeOpt = Annotated[str | None, typer.Option(
    "--evidence-lock-mode", help="Retention mode of the copied objects: COMPLIANCE or "
                                 "GOVERNANCE.  \\[default: COMPLIANCE]")]
EvidenceDaysOpt = Annotated[int | None, typer.Option(
    "--evidence-retention-days", help="Retention of the copied objects in days.  \\[default: "
                                      "--min-retention-days, else 365]")]

# Every shared option: its parameter name (the config key) and its typer annotation.
_OPTIONS: tuple[tuple[str, Any], ...] = (
    ("config", ConfigOpt), ("org", OrgOpt), ("accounts", AccountsOpt),
    ("exclude_accounts", ExcludeOpt), ("ou", OuOpt), ("regions", RegionsOpt),
    ("role_name", RoleOpt), ("external_id", ExternalIdOpt),
    ("role_session_name", SessionNameOpt), ("workers", WorkersOpt), ("output_dir", OutputOpt),
    ("format", FormatOpt), ("min_retention_days", MinDaysOpt),
    ("min_retention_years", MinYearsOpt), ("require_mode", ModeOpt),
    ("fail_on", FailOnOpt), ("max_attempts", AttemptsOpt), ("serial", SerialOpt),
    ("log_level", LogLevelOpt), ("log_format", LogFormatOpt), ("quiet", QuietOpt),
    ("exceptions", ExceptionsOpt), ("evidence_bucket", EvidenceBucketOpt),
    ("evidence_lock_mode", EvidenceModeOpt), ("evidence_retention_days", EvidenceDaysOpt),
)


@dataclass(frozen=True)
class ScanOptions:
    """The shared options as given: the config file, and the other values by config key
    (None when the option was not given)."""

    config: Path | None
    values: dict[str, Any]

    def settings(self) -> ScanSettings:
        """The effective settings: defaults < config file < command line, validated."""
        file_values = read_config_file(self.config) if self.config is not None else None
        return build_settings(file_values, self.values, source=f"config file {self.config}")


def with_scan_options(command: Callable[..., R]) -> Callable[..., R]:
    """Give ``command`` every option of ``orgscan scan``, passed in as its first argument
    (a ``ScanOptions``); the command's own options follow the shared ones in ``--help``."""
    own = list(inspect.signature(command, eval_str=True).parameters.values())[1:]
    shared = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None,
                                annotation=annotation) for name, annotation in _OPTIONS]
    names = [name for name, _ in _OPTIONS]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> R:
        given = {name: kwargs.pop(name, None) for name in names}
        config = given.pop("config")
        given["ou"] = given["ou"] or None  # an unused repeatable option arrives as []
        return command(ScanOptions(config=config, values=given), **kwargs)

    parameters = [*shared, *(p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own)]
    # typer reads the signature; the annotations must match it (functools.wraps copied them).
    wrapper.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
    return wrapper
