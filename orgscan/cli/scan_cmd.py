"""``orgscan scan`` and ``orgscan demo``: parse options, run the core, map outcomes to exits."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer

from orgscan.aws.sessions import SessionFactory
from orgscan.cli.common import fail, maps_input_errors, stderr_is_terminal
from orgscan.cli.summary import print_summary
from orgscan.config import ScanSettings, build_settings, read_config_file
from orgscan.executors import make_executor, shutdown
from orgscan.exitcodes import scan_exit_code
from orgscan.logsetup import attach_run_log, start_buffer, stop
from orgscan.output import write_run
from orgscan.runfolder import RunFolderError, create_run_dir
from orgscan.scan import execute_scan, plan_scan, utc_now

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="TOML config file.")]
OrgOpt = Annotated[bool | None, typer.Option(
    "--org/--no-org", help="Discover accounts with Organizations, or scan only the caller's "
                           "account.  [default: --org]", show_default=False)]
AccountsOpt = Annotated[str | None, typer.Option(
    "--accounts", help="Only these accounts (comma-separated ids).")]
ExcludeOpt = Annotated[str | None, typer.Option(
    "--exclude-accounts", help="Skip these accounts (comma-separated ids).")]
OuOpt = Annotated[list[str] | None, typer.Option(
    "--ou", help="Only accounts under this OU (nested OUs included); repeatable.")]
RegionsOpt = Annotated[str | None, typer.Option(
    "--regions", help="Regions to scan (comma-separated).  [default: every enabled region]")]
RoleOpt = Annotated[str | None, typer.Option(
    "--role-name", help="Role assumed in member accounts.  [default: "
                        "OrganizationAccountAccessRole]")]
ExternalIdOpt = Annotated[str | None, typer.Option("--external-id",
                                                   help="External id for AssumeRole.")]
SessionNameOpt = Annotated[str | None, typer.Option(
    "--role-session-name", help="Session name for AssumeRole.  [default: orgscan]")]
WorkersOpt = Annotated[int | None, typer.Option("--workers", help="Parallel workers.  "
                                                                   "[default: 16]")]
OutputOpt = Annotated[Path | None, typer.Option(
    "--output-dir", help="Where the run folder is written.  [default: reports/]")]
FormatOpt = Annotated[str | None, typer.Option(
    "--format", help="Any of json,csv,xlsx,html,scripts (findings.json is always written).  "
                     "[default: all]")]
MinDaysOpt = Annotated[int | None, typer.Option(
    "--min-retention-days", help="Policy: shortest acceptable default retention in days.")]
ModeOpt = Annotated[str | None, typer.Option(
    "--require-mode", help="Policy: COMPLIANCE, GOVERNANCE or ANY.  [default: ANY]")]
FailOnOpt = Annotated[str | None, typer.Option(
    "--fail-on", help="Exit 1 when a finding is at or above FAIL or WARN; or never.  "
                      "[default: FAIL]")]
AttemptsOpt = Annotated[int | None, typer.Option(
    "--max-attempts", help="AWS call attempts, retries included.  [default: botocore's]")]
SerialOpt = Annotated[bool | None, typer.Option(
    "--serial", help="Run every AWS call in the main thread (debugging).", show_default=False)]
LogLevelOpt = Annotated[str | None, typer.Option("--log-level", help="DEBUG, INFO, WARNING "
                                                                     "or ERROR.  [default: INFO]")]
LogFormatOpt = Annotated[str | None, typer.Option("--log-format",
                                                  help="text or json.  [default: text]")]
QuietOpt = Annotated[bool | None, typer.Option("--quiet", "-q", help="No summary or progress "
                                               "on the terminal (for cron).", show_default=False)]


@maps_input_errors
def scan(
    config: ConfigOpt = None, org: OrgOpt = None, accounts: AccountsOpt = None,
    exclude_accounts: ExcludeOpt = None, ou: OuOpt = None, regions: RegionsOpt = None,
    role_name: RoleOpt = None, external_id: ExternalIdOpt = None,
    role_session_name: SessionNameOpt = None, workers: WorkersOpt = None,
    output_dir: OutputOpt = None, format: FormatOpt = None,
    min_retention_days: MinDaysOpt = None, require_mode: ModeOpt = None,
    fail_on: FailOnOpt = None, max_attempts: AttemptsOpt = None, serial: SerialOpt = None,
    log_level: LogLevelOpt = None, log_format: LogFormatOpt = None, quiet: QuietOpt = None,
) -> None:
    """Scan the organization (or one account) and write a run folder."""
    cli_values: dict[str, Any] = {
        "org": org, "accounts": accounts, "exclude_accounts": exclude_accounts,
        "ou": ou or None, "regions": regions, "role_name": role_name,
        "external_id": external_id, "role_session_name": role_session_name,
        "workers": workers, "output_dir": output_dir, "format": format,
        "min_retention_days": min_retention_days, "require_mode": require_mode,
        "fail_on": fail_on, "max_attempts": max_attempts, "serial": serial,
        "log_level": log_level, "log_format": log_format, "quiet": quiet,
    }
    file_values = read_config_file(config) if config is not None else None
    settings = build_settings(file_values, cli_values, source=f"config file {config}")
    sessions = SessionFactory(
        role_name=settings.role_name, external_id=settings.external_id,
        role_session_name=settings.role_session_name, max_pool_connections=settings.workers,
        max_attempts=settings.max_attempts)
    raise typer.Exit(run_scan(settings, sessions))


@maps_input_errors
def demo(
    output_dir: Annotated[Path, typer.Option("--output-dir", help="Where the run folder is "
                                             "written.")] = Path("reports/demo"),
    drift: Annotated[bool, typer.Option("--drift", help="Change a few things in the simulated "
                                        "organization before scanning.")] = False,
    workers: Annotated[int, typer.Option("--workers", min=1, max=512)] = 8,
    format: FormatOpt = None,
    fail_on: FailOnOpt = None, quiet: QuietOpt = None,
) -> None:
    """Build a simulated organization in-process (moto), scan it and write a run folder."""
    from orgscan.simulate import build_demo_org, demo_mock

    with demo_mock():
        simulated = build_demo_org(drift=drift)
        settings = build_settings(None, {
            "regions": list(simulated.regions), "output_dir": output_dir, "workers": workers,
            "format": format, "fail_on": fail_on, "quiet": quiet,
            "min_retention_days": simulated.policy.min_retention_days,
            "require_mode": simulated.policy.require_mode.value,
        })
        sessions = SessionFactory(max_pool_connections=settings.workers)
        code = run_scan(settings, sessions)
    # The demo's organization fails on purpose: its exit code speaks only when asked to.
    raise typer.Exit(code if fail_on is not None else 0)


def run_scan(settings: ScanSettings, sessions: SessionFactory) -> int:
    """Plan, scan and write the run folder; print the summary; return the exit code."""
    buffer = start_buffer(settings.log_level)
    executor = make_executor(settings.workers, settings.serial)
    interrupted = False
    handler = None
    try:
        plan = plan_scan(settings, sessions, executor)  # bad input stops here: nothing written
        try:
            run_dir = create_run_dir(settings.output_dir, utc_now())
        except RunFolderError as exc:
            raise fail(str(exc)) from None
        handler = attach_run_log(run_dir, buffer, json_format=settings.log_format == "json")
        progress = None if settings.quiet or not stderr_is_terminal() else _progress_line
        with _terminate_as_interrupt():
            result = execute_scan(plan, sessions, executor, progress)
        if progress is not None:
            sys.stderr.write("\n")
        interrupted = not result.run.complete and any(
            error.error_code == "Interrupted" for error in result.errors)
        write_run(run_dir, result, settings.formats)
    finally:
        shutdown(executor, interrupted=interrupted)
        if handler is not None:
            stop(handler)
    if not settings.quiet:
        print_summary(result, run_dir)
    return scan_exit_code(result, settings.fail_on)


def _progress_line(done: int, total: int) -> None:
    sys.stderr.write(f"\rscanning: {done}/{total} units of work done")
    sys.stderr.flush()


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a scheduler stopping the job) ends the scan like Ctrl-C: results are kept."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread (tests running the command in a worker)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
