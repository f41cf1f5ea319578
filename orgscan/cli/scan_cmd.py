"""``orgscan scan`` and ``orgscan demo``: parse options, run the core, map outcomes to exits."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer

from orgscan.aws.sessions import SessionFactory
from orgscan.cli.common import (
    EXIT_FINDINGS,
    EXIT_INCOMPLETE,
    fail,
    maps_input_errors,
    stderr_is_terminal,
)
from orgscan.cli.scan_options import (
    FailOnOpt,
    FormatOpt,
    QuietOpt,
    ScanOptions,
    with_scan_options,
)
from orgscan.cli.summary import print_summary
from orgscan.config import ScanSettings, build_settings
from orgscan.evidence.bucket import (
    EvidenceBucketError,
    check_locked,
    retention_for,
    upload_run,
)
from orgscan.evidence.manifest import write_manifest
from orgscan.evidence.recorder import EVIDENCE_FILE, ResponseRecorder
from orgscan.evidence.runinfo import describe_run
from orgscan.executors import make_executor, shutdown
from orgscan.exitcodes import scan_exit_code
from orgscan.logsetup import attach_run_log, attach_shared_log, start_buffer, stop
from orgscan.model import ScanResult
from orgscan.output import write_run
from orgscan.planning import plan_scan, utc_now
from orgscan.runfolder import RunFolderError, create_run_dir
from orgscan.runlog import apply_register, log_summary
from orgscan.scan import execute_scan

log = logging.getLogger(__name__)


@maps_input_errors
@with_scan_options
def scan(options: ScanOptions) -> None:
    """Scan the organization (or one account) and write a run folder."""
    settings = options.settings()
    sessions = SessionFactory(
        role_name=settings.role_name, external_id=settings.external_id,
        role_session_name=settings.role_session_name, max_pool_connections=settings.workers,
        max_attempts=settings.max_attempts, recorder=ResponseRecorder())
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
        sessions = SessionFactory(max_pool_connections=settings.workers,
                                  recorder=ResponseRecorder())
        code = run_scan(settings, sessions)
    # The demo's organization fails on purpose: its exit code speaks only when asked to.
    raise typer.Exit(code if fail_on is not None else 0)


def run_scan(settings: ScanSettings, sessions: SessionFactory) -> int:
    """Plan, scan and write the run folder; print the summary; return the exit code."""
    buffer = start_buffer(settings.log_level)
    executor = make_executor(settings.workers, settings.serial)
    interrupted = False
    handlers: list[logging.Handler] = []
    try:
        _check_evidence_bucket(settings, sessions)  # refused before anything is written
        plan = plan_scan(settings, sessions, executor)  # bad input stops here: nothing written
        try:
            run_dir = create_run_dir(settings.output_dir, utc_now())
        except RunFolderError as exc:
            raise fail(str(exc)) from None
        json_log = settings.log_format == "json"
        handlers.append(attach_run_log(run_dir, buffer, json_format=json_log))
        handlers.append(attach_shared_log(run_dir, json_format=json_log))
        if sessions.recorder is not None:
            sessions.recorder.start(run_dir / EVIDENCE_FILE)
        progress = None if settings.quiet or not stderr_is_terminal() else _progress_line
        with _terminate_as_interrupt():
            result = execute_scan(plan, sessions, executor, progress)
        if sessions.recorder is not None:
            sessions.recorder.finish()
        if progress is not None:
            sys.stderr.write("\n")
        interrupted = not result.run.complete and any(
            error.error_code == "Interrupted" for error in result.errors)
        with _signals_deferred():  # a second Ctrl-C must not leave the run folder half-written
            result = apply_register(result, settings.exceptions)
            result = describe_run(result, run_dir, settings, sys.argv)
            write_run(run_dir, result, settings.formats, settings.remediation)
            code = scan_exit_code(result, settings.fail_on)
            log_summary(result, run_dir, code)
            # The run's own log is complete: close it so that the manifest covers its last
            # line. The manifest's digest then goes to the output folder's shared log only.
            stop(handlers.pop(0))
            _, manifest_sha = write_manifest(run_dir, result.run.run_id)
            log.info("manifest.json sha256 %s", manifest_sha)
            if settings.evidence_bucket is not None:
                code = _copy_evidence(settings, sessions, run_dir, result, manifest_sha, code)
    finally:
        shutdown(executor, interrupted=interrupted)
        if sessions.recorder is not None:
            sessions.recorder.abandon()  # only if the scan failed before it was finished
        for handler in handlers:
            stop(handler)
        if not handlers:  # stopped before the run folder existed: the buffer has no target
            stop(buffer)
    if not settings.quiet:
        print_summary(result, run_dir)
    return code


def _evidence_client(sessions: SessionFactory) -> Any:
    return sessions.client(sessions.caller_account_id, "s3", sessions.default_region)


def _check_evidence_bucket(settings: ScanSettings, sessions: SessionFactory) -> None:
    if settings.evidence_bucket is None:
        return
    try:
        check_locked(_evidence_client(sessions), settings.evidence_bucket)
    except EvidenceBucketError as exc:
        raise fail(str(exc)) from None


def _copy_evidence(settings: ScanSettings, sessions: SessionFactory, run_dir: Path,
                   result: ScanResult, manifest_sha: str, code: int) -> int:
    """Copy the sealed run folder to the evidence bucket; a failed copy leaves the evidence
    incomplete (exit 3 unless findings already give 1)."""
    target = settings.evidence_bucket
    assert target is not None
    retention = retention_for(settings.evidence_lock_mode, settings.evidence_retention_days,
                              settings.policy.min_retention_days)
    typer.echo(f"manifest.json sha256 {manifest_sha}")
    try:
        keys = upload_run(_evidence_client(sessions), target, run_dir, result.run.run_id,
                          retention, utc_now())
    except EvidenceBucketError as exc:
        log.error("evidence copy failed: %s", exc)
        typer.echo(f"orgscan: error: {exc}", err=True)
        return code if code == EXIT_FINDINGS else EXIT_INCOMPLETE
    log.info("copied %d files of run %s to %s, each under %s retention for %d days; "
             "manifest.json sha256 %s", len(keys), result.run.run_id, target,
             retention.mode.value, retention.days, manifest_sha)
    typer.echo(f"copied {len(keys)} files to {target}/{result.run.run_id}/ under "
               f"{retention.mode.value} retention for {retention.days} days")
    return code


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


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """While the run folder is written, Ctrl-C and SIGTERM only say the run is finishing."""

    def finishing(signum: int, frame: FrameType | None) -> None:
        sys.stderr.write("\norgscan: finishing the run folder first\n")

    try:
        previous = {sig: signal.signal(sig, finishing) for sig in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread (tests running the command in a worker)
        yield
        return
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
