"""``orgscan scan`` and ``orgscan demo``: parse options, run the core, map outcomes to exits."""

from __future__ import annotations

import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from orgscan.cli.common import (
    maps_input_errors,
    signals_handled,
    stderr_is_terminal,
    terminal_text,
)
from orgscan.cli.exitcodes import ExitCode
from orgscan.cli.panels import OUTPUT, examples
from orgscan.cli.scan_options import ScanOptions, with_scan_options, with_some_scan_options
from orgscan.errors import WriteInterrupted
from orgscan.wording import plural

if TYPE_CHECKING:
    from orgscan.aws.sessions import SessionFactory
    from orgscan.config import ScanSettings
    from orgscan.evidence.bucket_copy import EvidenceCopy
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


@maps_input_errors
@with_scan_options
def scan(options: ScanOptions) -> None:
    """Scan the organization (or one account) and write a run folder."""
    # Imported when the command runs: `orgscan --help` must not load the core.
    from orgscan.pipeline import scan_sessions

    settings = options.settings()
    raise typer.Exit(run_scan(settings, scan_sessions(settings)))


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
    # Imported when the command runs: `orgscan --help` must not load the core (or moto).
    from orgscan.aws.recorder import ResponseRecorder
    from orgscan.aws.sessions import SessionFactory
    from orgscan.config import build_settings
    from orgscan.simulate import build_demo_org, demo_mock
    from orgscan.simulate.denials import simulated_answers

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
                "require_log_file_validation": simulated.policy.require_log_file_validation,
            },
        )
        sessions = SessionFactory(
            max_pool_connections=settings.workers,
            recorder=ResponseRecorder(),
            # moto knows no SCPs and never fails a delivery: the demo's denied region and
            # failing trail are answered as AWS would.
            configure_session=simulated_answers(simulated),
        )
        code = run_scan(settings, sessions)
    # The demo's organization fails on purpose: its exit code speaks only when asked to.
    raise typer.Exit(code if options.values["fail_on"] is not None else ExitCode.OK)


def run_scan(settings: ScanSettings, sessions: SessionFactory) -> ExitCode:
    """Run the scan (``orgscan.pipeline``) with the terminal's progress bar and signal
    handling; print the summary; return the exit code."""
    # Imported when the command runs: `orgscan --help` must not load the core.
    from orgscan.cli.exitcodes import scan_exit_code
    from orgscan.cli.terminal_summary import print_summary
    from orgscan.diff import load_diff
    from orgscan.pipeline import run
    from orgscan.runs.logsetup import configure_logging
    from orgscan.scan.executors import make_executor

    configure_logging(settings.log_level)
    bar = None if settings.quiet or not stderr_is_terminal() else ProgressBar(sys.stderr)
    outcome = run(
        settings,
        sessions,
        make_executor(settings.workers, settings.serial),
        bar,
        command=sys.argv,
        exit_code=lambda result: scan_exit_code(
            result,
            settings.fail_on,
            enforce_tamper_paths=settings.tamper.enforce_tamper_paths,
        ),
        hooks=_TerminalHooks(settings, bar),
    )
    code = ExitCode(outcome.exit_code)
    if outcome.copy is not None:
        code = _copy_said(outcome.copy, outcome.result.run.run_id, code, quiet=settings.quiet)
    if not settings.quiet:
        print_summary(
            outcome.result,
            outcome.run_dir,
            written=outcome.written,
            diff=load_diff(outcome.run_dir),
            interrupted=outcome.interrupted,
        )
    return code


class _TerminalHooks:
    """The run's ``RunHooks`` on a terminal: SIGTERM interrupts the scan like Ctrl-C and the
    progress bar ends with it; signals stop the writing at once; the manifest's digest is
    printed before the evidence copy starts."""

    def __init__(self, settings: ScanSettings, bar: ProgressBar | None) -> None:
        self._settings = settings
        self._bar = bar

    @contextmanager
    def scanning(self) -> Iterator[None]:
        """SIGTERM as Ctrl-C while the scan runs; the bar's line ended after it."""
        with _terminate_as_interrupt():
            yield
        if self._bar is not None:
            self._bar.close()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Ctrl-C and SIGTERM stop the writing at once; the bar says the folder is being
        written (a large organization takes a while), then how long it took."""
        with _signals_stop_writing():
            if self._bar is None:
                yield
                return
            with self._bar.writing():
                yield

    def sealed(self, run_dir: Path, manifest_sha: str) -> None:
        """Print the digest that ties the evidence copy to the run (quiet prints errors only;
        the digest is in the shared log)."""
        if self._settings.evidence_bucket is not None and not self._settings.quiet:
            typer.echo(f"manifest.json sha256 {manifest_sha}")


def _copy_said(copy: EvidenceCopy, run_id: str, code: ExitCode, *, quiet: bool) -> ExitCode:
    """Say how the evidence copy went; a failed copy leaves the evidence incomplete (exit 3
    unless findings already give 1)."""
    if copy.error is not None:
        typer.echo(terminal_text(f"orgscan: error: {copy.error}"), err=True)
        return code if code is ExitCode.FINDINGS else ExitCode.INCOMPLETE
    if not quiet:
        typer.echo(
            f"copied {plural(copy.files, 'file')} to {copy.target}/{run_id}/ under "
            f"{copy.retention.mode.value} retention for {copy.retention.days} days"
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
        """End the bar's line, the scan done."""
        if self._last is not None:
            self._stream.write("\r" + self._fit(self._last, finished=True) + "\x1b[K\n")
            self._stream.flush()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """A line for the writing phase: without it the terminal sits still for minutes."""
        began = self._clock()
        self._stream.write("writing the run folder ...")
        self._stream.flush()
        try:
            yield
        except BaseException:
            self._stream.write("\n")  # the error that follows starts on its own line
            raise
        took = _clock_time(self._clock() - began)
        self._stream.write(f"\rwrote the run folder in {took}\x1b[K\n")
        self._stream.flush()

    def _fit(self, progress: ScanProgress, *, finished: bool = False) -> str:
        line = format_progress(progress, self.WIDTH, finished=finished)
        return line[: max(20, self._columns - 1)]


def format_progress(progress: ScanProgress, width: int = 24, *, finished: bool = False) -> str:
    """``scanning [#####-----] 12/52 accounts, 180 regions, 40 buckets, 0:12, ETA 0:40``.

    The ETA counts accounts: once every account is in, the buckets still being read have no
    estimate, so the bar says so instead of ``ETA 0:00``; ``finished`` ends with ``done``.
    """
    planned = max(1, progress.accounts_planned)
    filled = width * progress.accounts_done // planned
    eta = progress.eta_s
    if finished:
        tail = "done"
    elif progress.accounts_done >= progress.accounts_planned:
        tail = "reading buckets"
    else:
        tail = f"ETA {'?' if eta is None else _clock_time(eta)}"
    return (
        f"scanning [{'#' * filled}{'-' * (width - filled)}] {progress.accounts_done}/"
        f"{progress.accounts_planned} accounts, {plural(progress.regions_read, 'region')}, "
        f"{plural(progress.buckets_read, 'bucket')}, {_clock_time(progress.elapsed_s)} elapsed, "
        f"{tail}"
    )


def _clock_time(seconds: float) -> str:
    minutes, secs = divmod(int(seconds + 0.5), 60)
    return f"{minutes}:{secs:02d}"


def _terminate_as_interrupt() -> AbstractContextManager[None]:
    """SIGTERM (a scheduler stopping the job) ends the scan like Ctrl-C: results are kept."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    return signals_handled(interrupt, signal.SIGTERM)


def _signals_stop_writing() -> AbstractContextManager[None]:
    """While the run folder is written, Ctrl-C and SIGTERM stop the writing at once: writing a
    large organization takes longer than a scheduler's grace period before SIGKILL, and a
    stopped write leaves an honest folder (no manifest: incomplete; ``latest`` not moved)."""

    def stop_writing(signum: int, frame: FrameType | None) -> None:
        raise WriteInterrupted

    return signals_handled(stop_writing, signal.SIGINT, signal.SIGTERM)
