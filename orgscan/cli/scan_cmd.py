"""``orgscan scan`` and ``orgscan demo``: parse options, run the core, map outcomes to exits."""

from __future__ import annotations

import logging
import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from orgscan.cli.common import fail, maps_input_errors, stderr_is_terminal, terminal_text
from orgscan.cli.exitcodes import ExitCode
from orgscan.cli.panels import OUTPUT, examples
from orgscan.cli.scan_options import ScanOptions, with_scan_options, with_some_scan_options
from orgscan.errors import EvidenceWriteError, WriteInterrupted

if TYPE_CHECKING:
    from orgscan.aws.sessions import SessionFactory
    from orgscan.config import ScanSettings
    from orgscan.model import ScanResult
    from orgscan.scan.progress import ScanProgress

# The core (botocore, pandas, openpyxl, jinja2) is imported inside the commands: `orgscan
# --help` and `orgscan --version` must answer at once, and each command pays only for itself.

SCAN_EPILOG = examples(
    "orgscan scan --output-dir reports/ --min-retention-days 365 --require-mode COMPLIANCE",
    "orgscan scan --accounts 111111111111,222222222222 --regions us-east-1,eu-west-1",
    "orgscan scan --config configs/default.toml --quiet --log-format json   (cron)",
)
DEMO_EPILOG = examples(
    "orgscan demo",
    "orgscan demo --drift --output-dir reports/demo --workers 16",
    "orgscan demo --fail-on WARN   (exit with the scan's code)",
)

log = logging.getLogger(__name__)


@maps_input_errors
@with_scan_options
def scan(options: ScanOptions) -> None:
    """Scan the organization (or one account) and write a run folder."""
    from orgscan.aws.recorder import ResponseRecorder
    from orgscan.aws.sessions import SessionFactory

    settings = options.settings()
    sessions = SessionFactory(
        role_name=settings.role_name,
        external_id=settings.external_id,
        role_session_name=settings.role_session_name,
        max_pool_connections=settings.workers,
        max_attempts=settings.max_attempts,
        recorder=ResponseRecorder(),
    )
    raise typer.Exit(run_scan(settings, sessions))


@maps_input_errors
@with_some_scan_options("format", "fail_on", "quiet", "log_level")
def demo(
    options: ScanOptions,
    output_dir: Annotated[
        Path,
        typer.Option(
            "--output-dir",
            metavar="DIR",
            rich_help_panel=OUTPUT,
            help="Where the run folder is written.",
        ),
    ] = Path("reports/demo"),
    drift: Annotated[
        bool,
        typer.Option(
            "--drift",
            metavar="",
            help="Change a few things in the simulated organization before "
            "scanning (the next run's diff then shows them).",
        ),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            "--workers", metavar="N", help="Simulated AWS calls in flight at once (1-512)."
        ),
    ] = 8,
) -> None:
    """Build a simulated organization in-process (moto), scan it and write a run folder."""
    from orgscan.aws.recorder import ResponseRecorder
    from orgscan.aws.sessions import SessionFactory
    from orgscan.config import build_settings
    from orgscan.simulate import build_demo_org, demo_mock
    from orgscan.simulate.denials import scp_denials

    with demo_mock():
        simulated = build_demo_org(drift=drift)
        settings = build_settings(
            None,
            {
                **options.values,
                "regions": list(simulated.regions),
                "output_dir": output_dir,
                "workers": workers,
                "min_retention_days": simulated.policy.min_retention_days,
                "require_mode": simulated.policy.require_mode.value,
            },
        )
        sessions = SessionFactory(
            max_pool_connections=settings.workers,
            recorder=ResponseRecorder(),
            # moto knows no SCPs: the demo's one denied region is answered as AWS would.
            configure_session=scp_denials(simulated.scp_denied),
        )
        code = run_scan(settings, sessions)
    # The demo's organization fails on purpose: its exit code speaks only when asked to.
    raise typer.Exit(code if options.values["fail_on"] is not None else ExitCode.OK)


def run_scan(settings: ScanSettings, sessions: SessionFactory) -> ExitCode:
    """Plan, scan and write the run folder; print the summary; return the exit code."""
    from orgscan.aws.recorder import EVIDENCE_FILE
    from orgscan.cli.exitcodes import scan_exit_code
    from orgscan.cli.logsetup import (
        attach_run_log,
        attach_shared_log,
        close_run_log,
        start_buffer,
        stop,
    )
    from orgscan.cli.terminal_summary import print_summary
    from orgscan.config import LogFormat
    from orgscan.diff import load_diff
    from orgscan.error_codes import INTERRUPTED
    from orgscan.evidence.runinfo import describe_run
    from orgscan.runs.folder import RunFolderError, create_run_dir, hold_folder
    from orgscan.runs.output import mark_latest, write_failure, write_run
    from orgscan.runs.runlog import apply_register, log_phase, log_plan, log_summary
    from orgscan.scan import execute_scan
    from orgscan.scan.executors import make_executor, shutdown
    from orgscan.scan.planning import plan_scan, utc_now

    buffer = start_buffer(settings.log_level)
    executor = make_executor(settings.workers, settings.serial)
    interrupted = False
    handlers: list[logging.Handler] = []
    release: Callable[[], None] | None = None  # the run folder's lock, once it exists
    try:
        _check_evidence_bucket(settings, sessions)  # refused before anything is written
        began = time.monotonic()
        try:
            plan = plan_scan(settings, sessions, executor)  # bad input stops here
        except KeyboardInterrupt:
            interrupted = True
            # Nothing was gathered: the evidence is incomplete, as when AWS does not answer.
            raise fail(
                "interrupted before the scan began; nothing was written", code=ExitCode.INCOMPLETE
            ) from None
        log_plan(plan)
        log_phase("planning", began)
        try:
            run_dir = create_run_dir(settings.output_dir, utc_now())
        except RunFolderError as exc:
            raise fail(str(exc)) from None
        release = hold_folder(run_dir)  # a later run must not clean up after this live one
        json_log = settings.log_format is LogFormat.JSON
        try:
            handlers.append(attach_run_log(run_dir, buffer, json_format=json_log))
            if sessions.recorder is not None:
                sessions.recorder.start(run_dir / EVIDENCE_FILE, within=run_dir)
        except OSError as exc:
            raise write_failure(exc, "the run folder is incomplete", run_dir) from None
        handlers.append(attach_shared_log(run_dir, json_format=json_log))
        bar = None if settings.quiet or not stderr_is_terminal() else ProgressBar(sys.stderr)
        began = time.monotonic()
        with _terminate_as_interrupt():
            result = execute_scan(plan, sessions, executor, bar)
        if bar is not None:
            bar.close()
        if sessions.recorder is not None:
            try:
                sessions.recorder.finish()
            except OSError as exc:
                raise write_failure(exc, "the run folder is incomplete", run_dir) from None
        log_phase("scanning", began)
        sessions.calls.log_summary()
        interrupted = not result.run.complete and any(
            error.error_code == INTERRUPTED for error in result.errors
        )
        began = time.monotonic()
        try:
            with _signals_stop_writing():
                result = apply_register(result, settings.exceptions)
                result = describe_run(result, run_dir, settings, sys.argv)
                written = write_run(run_dir, result, settings.formats, settings.remediation)
                log_phase("writing", began)
                # An interrupted run is incomplete evidence (contract: 3), unless what it did
                # gather already triggers 1, which wins over 3.
                code = scan_exit_code(result, settings.fail_on)
                log_summary(result, run_dir, code, interrupted=interrupted)
                # The run's own log is complete: close it so that the manifest covers its last
                # line. The manifest's digest then goes to the output folder's shared log only.
                close_run_log(handlers)
                # Last, once everything else is written: its presence means "complete".
                manifest_sha = _seal(run_dir, result.run.run_id)
                mark_latest(run_dir)  # only a sealed folder may be the latest run
        except WriteInterrupted:
            from orgscan.findings import FINDINGS_FILE

            log.error(
                "interrupted while writing: run folder %s is incomplete, latest not moved", run_dir
            )
            # findings.json is written first, atomically: it is there whole, or not at all.
            kept = (
                "findings.json, written first, is whole"
                if (run_dir / FINDINGS_FILE).is_file()
                else "no findings.json was written"
            )
            raise EvidenceWriteError(
                f"interrupted while writing the run folder {run_dir}: it is incomplete ({kept})"
            ) from None
        log.info("manifest.json sha256 %s", manifest_sha)
        if settings.evidence_bucket is not None:  # reads the sealed folder, writes nothing in it
            code = _copy_evidence(settings, sessions, run_dir, result, manifest_sha, code)
    finally:
        shutdown(executor, interrupted=interrupted)
        if sessions.recorder is not None:
            sessions.recorder.abandon()  # only if the scan failed before it was finished
        for handler in handlers:
            stop(handler)
        if not handlers:  # stopped before the run folder existed: the buffer has no target
            stop(buffer)
        if release is not None:
            release()
    if not settings.quiet:
        print_summary(
            result, run_dir, written=written, diff=load_diff(run_dir), interrupted=interrupted
        )
    return code


def _seal(run_dir: Path, run_id: str) -> str:
    """Write the run's manifest; return its SHA-256. ``EvidenceWriteError`` (exit 4) when it
    cannot be written: the folder then stays incomplete."""
    from orgscan.evidence.manifest import write_manifest
    from orgscan.runs.output import write_failure

    try:
        _, manifest_sha = write_manifest(run_dir, run_id)
    except OSError as exc:
        outcome = "the run folder is incomplete (no manifest.json)"
        raise write_failure(exc, outcome, run_dir) from None
    return manifest_sha


def _evidence_client(sessions: SessionFactory) -> Any:
    return sessions.client(sessions.caller_account_id, "s3", sessions.default_region)


def _check_evidence_bucket(settings: ScanSettings, sessions: SessionFactory) -> None:
    if settings.evidence_bucket is None:
        return
    from orgscan.evidence.bucket import EvidenceBucketError, check_locked

    try:
        check_locked(
            _evidence_client(sessions), settings.evidence_bucket, sessions.caller_account_id
        )
    except EvidenceBucketError as exc:
        raise fail(str(exc)) from None


def _copy_evidence(
    settings: ScanSettings,
    sessions: SessionFactory,
    run_dir: Path,
    result: ScanResult,
    manifest_sha: str,
    code: ExitCode,
) -> ExitCode:
    """Copy the sealed run folder to the evidence bucket; a failed copy leaves the evidence
    incomplete (exit 3 unless findings already give 1, or the scan was interrupted)."""
    from orgscan.evidence.bucket import EvidenceBucketError, retention_for, upload_run
    from orgscan.scan.planning import utc_now

    target = settings.evidence_bucket
    assert target is not None
    retention = retention_for(
        settings.evidence_lock_mode,
        settings.evidence_retention_days,
        settings.policy.min_retention_days,
    )
    if not settings.quiet:  # quiet prints errors only; the digest is in the shared log
        typer.echo(f"manifest.json sha256 {manifest_sha}")
    try:
        keys = upload_run(
            _evidence_client(sessions),
            target,
            run_dir,
            result.run.run_id,
            retention,
            utc_now(),
            sessions.caller_account_id,
        )
    except EvidenceBucketError as exc:
        log.error("evidence copy failed: %s", exc)
        typer.echo(terminal_text(f"orgscan: error: {exc}"), err=True)
        return code if code is ExitCode.FINDINGS else ExitCode.INCOMPLETE
    log.info(
        "copied %d files of run %s to %s, each under %s retention for %d days; "
        "manifest.json sha256 %s",
        len(keys),
        result.run.run_id,
        target,
        retention.mode.value,
        retention.days,
        manifest_sha,
    )
    if not settings.quiet:
        typer.echo(
            f"copied {len(keys)} files to {target}/{result.run.run_id}/ under "
            f"{retention.mode.value} retention for {retention.days} days"
        )
    return code


class ProgressBar:
    """The scan's progress on a terminal, redrawn in place at most ten times a second:
    accounts done of accounts planned, regions and buckets read, elapsed time and ETA."""

    WIDTH = 24

    def __init__(
        self,
        stream: TextIO,
        clock: Callable[[], float] = time.monotonic,
        columns: int | None = None,
    ) -> None:
        self._stream = stream
        self._clock = clock
        # A line longer than the terminal wraps, and "\r" then redraws only its last part.
        self._columns = columns or shutil.get_terminal_size().columns
        self._drawn = float("-inf")
        self._last: ScanProgress | None = None

    def __call__(self, progress: ScanProgress) -> None:
        """Show ``progress`` (skipped when the last redraw was under 0.1 s ago)."""
        self._last = progress
        now = self._clock()
        if now - self._drawn >= 0.1 or progress.accounts_done == progress.accounts_planned:
            self._drawn = now
            self._stream.write("\r" + self._fit(progress) + "\x1b[K")
            self._stream.flush()

    def close(self) -> None:
        """End the bar's line."""
        if self._last is not None:
            self._stream.write("\r" + self._fit(self._last) + "\x1b[K\n")
            self._stream.flush()

    def _fit(self, progress: ScanProgress) -> str:
        return format_progress(progress, self.WIDTH)[: max(20, self._columns - 1)]


def format_progress(progress: ScanProgress, width: int = 24) -> str:
    """``scanning [#####-----] 12/52 accounts, 180 regions, 40 buckets, 0:12, ETA 0:40``."""
    planned = max(1, progress.accounts_planned)
    filled = width * progress.accounts_done // planned
    eta = progress.eta_s
    return (
        f"scanning [{'#' * filled}{'-' * (width - filled)}] {progress.accounts_done}/"
        f"{progress.accounts_planned} accounts, {progress.regions_read} regions, "
        f"{progress.buckets_read} buckets, {_clock_time(progress.elapsed_s)} elapsed, "
        f"ETA {'?' if eta is None else _clock_time(eta)}"
    )


def _clock_time(seconds: float) -> str:
    minutes, secs = divmod(int(seconds + 0.5), 60)
    return f"{minutes}:{secs:02d}"


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
def _signals_stop_writing() -> Iterator[None]:
    """While the run folder is written, Ctrl-C and SIGTERM stop the writing at once: writing a
    large organization takes longer than a scheduler's grace period before SIGKILL, and a
    stopped write leaves an honest folder (no manifest: incomplete; ``latest`` not moved)."""

    def stop_writing(signum: int, frame: FrameType | None) -> None:
        raise WriteInterrupted

    try:
        previous = {
            sig: signal.signal(sig, stop_writing) for sig in (signal.SIGINT, signal.SIGTERM)
        }
    except ValueError:  # not the main thread (tests running the command in a worker)
        yield
        return
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
