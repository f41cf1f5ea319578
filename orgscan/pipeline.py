"""One run, start to end: plan → run folder → its logs → scan → exceptions register → write →
seal → ``latest`` → evidence copy. ``orgscan scan``, ``orgscan demo`` and ``orgscan watch`` call
``run`` (watch with a ``merge`` that makes its rescan an incremental run of the base run).

``run`` returns a ``RunOutcome`` or raises the domain errors of ``orgscan.errors`` (bad input,
AWS unavailable, interrupted before the scan began, evidence not written); it never prints,
never installs a signal handler and never picks an exit code. What differs between callers is
passed in: the session factory, the executor, the progress listener, the clock, the command
line the run records, how a result is judged (the exit code its final log line names) and
``RunHooks`` — what the caller holds around scanning and writing (the command line's signal
handling) and what it does once the folder is sealed.

Logging is split at the run folder. The run's logs are part of it, so the sequence owns them:
records are buffered from the start, go to the folder's ``orgscan.log`` and the output
folder's shared log once the folder exists, and the run's own log is closed before the seal.
How the process logs at all (level, nothing to the terminal) is set by the caller beforehand
(``orgscan.runs.logsetup.configure_logging``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from logging.handlers import MemoryHandler
from pathlib import Path
from typing import Protocol

from orgscan.aws.recorder import EVIDENCE_FILE, ResponseRecorder
from orgscan.aws.sessions import SessionFactory
from orgscan.config import LogFormat, ScanSettings
from orgscan.error_codes import INTERRUPTED
from orgscan.errors import EvidenceWriteError, InputError, ScanNotStarted, WriteInterrupted
from orgscan.evidence.bucket_copy import EvidenceCopy, check_evidence_bucket, copy_evidence
from orgscan.evidence.manifest import write_manifest
from orgscan.evidence.runinfo import describe_run
from orgscan.files import write_failure
from orgscan.formats import prepare_in_background
from orgscan.model import ScanResult
from orgscan.prelock.step import count_prelock
from orgscan.runs.folder import RunFolderError, create_run_dir, hold_folder
from orgscan.runs.logsetup import attach_run_log, attach_shared_log, close_run_log, start_buffer
from orgscan.runs.logsetup import stop as stop_log
from orgscan.runs.runlog import apply_register, log_phase, log_plan, log_summary
from orgscan.scan import execute_scan
from orgscan.scan.executors import shutdown
from orgscan.scan.planning import ScanPlan, plan_scan, utc_now
from orgscan.scan.progress import ProgressListener
from orgscan.tamper.step import start_run, with_tamper

log = logging.getLogger(__name__)

_INCOMPLETE = "the run folder is incomplete"


class RunHooks(Protocol):
    """What the caller of ``run`` adds around two stages and hears once the folder is sealed.
    A class deriving from it inherits defaults that do nothing."""

    def scanning(self) -> AbstractContextManager[object]:
        """Held while the organization is scanned; a ``KeyboardInterrupt`` raised within ends
        the scan with what was gathered (the run is then incomplete)."""
        return nullcontext()

    def writing(self) -> AbstractContextManager[object]:
        """Held from the exceptions register to ``latest``; ``WriteInterrupted`` raised within
        stops the writing and becomes ``EvidenceWriteError`` (the folder stays unsealed)."""
        return nullcontext()

    def sealed(self, run_dir: Path, manifest_sha: str) -> None:
        """``run_dir`` is sealed (its manifest's SHA-256 given) and ``latest`` names it; the
        evidence copy comes next."""
        return None


class _Unhooked(RunHooks):
    """A run nobody watches: every hook does nothing."""


@dataclass(frozen=True)
class RunOutcome:
    """A finished run: its result (exceptions marked, run described), its sealed folder and
    the files written there, the manifest's SHA-256, the exit code its final log line names
    (before the evidence copy), whether the scan was interrupted, and the evidence copy
    (``None`` without an evidence bucket)."""

    result: ScanResult
    run_dir: Path
    written: tuple[Path, ...]
    manifest_sha: str
    exit_code: int
    interrupted: bool
    copy: EvidenceCopy | None


@dataclass
class _Held:
    """What a run holds until it ends; ``release`` lets go of it whatever stopped the run."""

    executor: Executor
    sessions: SessionFactory
    buffer: MemoryHandler
    handlers: list[logging.Handler] = field(default_factory=list)
    unlock: Callable[[], None] | None = None
    interrupted: bool = False

    def release(self) -> None:
        """Stop the executor, drop an unfinished evidence file, detach the logs, unlock."""
        shutdown(self.executor, interrupted=self.interrupted)
        if self.sessions.recorder is not None:
            self.sessions.recorder.abandon()  # only if the scan failed before it was finished
        for handler in self.handlers:
            stop_log(handler)
        if not self.handlers:  # stopped before the run folder existed: the buffer has no target
            stop_log(self.buffer)
        if self.unlock is not None:
            self.unlock()


def scan_sessions(settings: ScanSettings) -> SessionFactory:
    """The session factory a scan of ``settings`` uses against AWS: their role, external id,
    session name, pool size and attempts, recording the AWS answers as evidence."""
    return SessionFactory(
        role_name=settings.role_name,
        external_id=settings.external_id,
        role_session_name=settings.role_session_name,
        max_pool_connections=settings.workers,
        max_attempts=settings.max_attempts,
        recorder=ResponseRecorder(),
    )


def run(
    settings: ScanSettings,
    sessions: SessionFactory,
    executor: Executor,
    progress: ProgressListener | None = None,
    *,
    command: Sequence[str],
    exit_code: Callable[[ScanResult], int],
    hooks: RunHooks | None = None,
    clock: Callable[[], datetime] = utc_now,
    merge: Callable[[ScanResult, Path], ScanResult] | None = None,
) -> RunOutcome:
    """Plan, scan and write a sealed run folder, then copy it to the evidence bucket if one is
    configured. ``executor`` is this run's: it is shut down when the run ends (after an
    interruption without waiting for queued work). ``command`` is the command line recorded
    in the run; ``exit_code`` judges the result for the run's final log line. ``merge``, when
    given, turns the described result into the one the folder holds before anything is written
    (it may rewrite the folder's evidence file; an ``OSError`` there is an unwritten run).

    Raises ``InputError`` (bad scope, an evidence bucket without Object Lock, an output folder
    that cannot hold a run), ``AwsUnavailableError`` and ``ScanNotStarted`` before anything is
    written, and ``EvidenceWriteError`` when the run folder could not be written or sealed.
    A failed evidence copy is not raised: it is in ``RunOutcome.copy``.
    """
    held = _Held(executor, sessions, start_buffer())
    try:
        return _run(
            settings,
            sessions,
            progress,
            held,
            command,
            exit_code,
            hooks or _Unhooked(),
            clock,
            merge,
        )
    finally:
        held.release()


def _run(
    settings: ScanSettings,
    sessions: SessionFactory,
    progress: ProgressListener | None,
    held: _Held,
    command: Sequence[str],
    exit_code: Callable[[ScanResult], int],
    hooks: RunHooks,
    clock: Callable[[], datetime],
    merge: Callable[[ScanResult, Path], ScanResult] | None,
) -> RunOutcome:
    check_evidence_bucket(settings, sessions)  # refused before anything is written
    plan = _plan(settings, sessions, held)
    run_dir = _open_folder(settings, sessions, held, clock)
    began = time.monotonic()
    warming = prepare_in_background(settings.formats)
    with hooks.scanning():
        result = execute_scan(plan, sessions, held.executor, progress, clock)
        management = plan.organization.management_account_id
        try:
            result = read_after_scan(result, settings, sessions, held.executor, management)
        except KeyboardInterrupt:
            held.interrupted = True  # the reads still queued are dropped, not waited for
            raise
    if sessions.recorder is not None:
        try:
            sessions.recorder.finish()
        except OSError as exc:
            raise write_failure(exc, _INCOMPLETE, run_dir) from None
    log_phase("scanning", began)
    sessions.calls.log_summary()
    held.interrupted = not result.run.complete and any(
        error.error_code == INTERRUPTED for error in result.errors
    )
    began = time.monotonic()
    warming.join()  # its imports are done (or, had it failed, they fail again here, loudly)
    from orgscan.runs.output import mark_latest, write_run

    try:
        with hooks.writing():
            result = apply_register(result, settings.exceptions)
            result = describe_run(result, run_dir, settings, command)
            if merge is not None:
                result = _merged(merge, result, run_dir)
            written = write_run(run_dir, result, settings.formats, settings.remediation)
            log_phase("writing", began)
            # An interrupted run is incomplete evidence (contract: 3), unless what it did
            # gather already triggers 1, which wins over 3: the judge's code says which.
            code = exit_code(result)
            log_summary(result, run_dir, code, interrupted=held.interrupted)
            # The run's own log is complete: close it so that the manifest covers its last
            # line. The manifest's digest then goes to the output folder's shared log only.
            close_run_log(held.handlers)
            # Last, once everything else is written: its presence means "complete".
            manifest_sha = _seal(run_dir, result.run.run_id)
            mark_latest(run_dir)  # only a sealed folder may be the latest run
    except WriteInterrupted:
        raise _interrupted_while_writing(run_dir) from None
    log.info("manifest.json sha256 %s", manifest_sha)
    hooks.sealed(run_dir, manifest_sha)
    copy = None
    if settings.evidence_bucket is not None:  # reads the sealed folder, writes nothing in it
        copy = copy_evidence(settings, sessions, run_dir, result, manifest_sha, clock)
    return RunOutcome(
        result=result,
        run_dir=run_dir,
        written=tuple(written),
        manifest_sha=manifest_sha,
        exit_code=code,
        interrupted=held.interrupted,
        copy=copy,
    )


def read_after_scan(
    result: ScanResult,
    settings: ScanSettings,
    sessions: SessionFactory,
    executor: Executor,
    management_account_id: str | None,
) -> ScanResult:
    """Who can weaken each trail's protection (contract 5.3) and the log files written before
    the lock (5.4), read while the evidence is still being recorded.

    Both read only what the scan found and neither needs the other, so their reads share the
    run's executor at the same time: the tamper reads are started, the pre-lock count runs, then
    the tamper paths are evaluated on their answers. An interrupted scan leaves both undone.
    """
    if any(error.error_code == INTERRUPTED for error in result.errors):
        return result
    began = time.monotonic()
    tamper = start_run(
        result,
        sessions,
        sessions.default_region,
        management_account_id,
        sessions.caller_account_id,
        settings.tamper.break_glass_principals,
        executor,
    )
    result = count_prelock(result, sessions, settings.policy, executor)
    result = with_tamper(result, tamper.result())
    log_phase("tamper paths and pre-lock count", began)
    return result


def _plan(settings: ScanSettings, sessions: SessionFactory, held: _Held) -> ScanPlan:
    """The scan's plan, logged; bad input and an interruption stop the run here."""
    began = time.monotonic()
    try:
        plan = plan_scan(settings, sessions, held.executor)  # bad input stops here
    except KeyboardInterrupt:
        held.interrupted = True
        # Nothing was gathered: the evidence is incomplete, as when AWS does not answer.
        raise ScanNotStarted("interrupted before the scan began; nothing was written") from None
    log_plan(plan)
    log_phase("planning", began)
    return plan


def _open_folder(
    settings: ScanSettings,
    sessions: SessionFactory,
    held: _Held,
    clock: Callable[[], datetime],
) -> Path:
    """Create the run folder, hold its lock, and start its log and its evidence file."""
    try:
        run_dir = create_run_dir(settings.output_dir, clock())
    except RunFolderError as exc:
        raise InputError(str(exc)) from None
    held.unlock = hold_folder(run_dir)  # a later run must not clean up after this live one
    json_log = settings.log_format is LogFormat.JSON
    try:
        held.handlers.append(attach_run_log(run_dir, held.buffer, json_format=json_log))
        if sessions.recorder is not None:
            sessions.recorder.start(run_dir / EVIDENCE_FILE, within=run_dir)
    except OSError as exc:
        raise write_failure(exc, _INCOMPLETE, run_dir) from None
    held.handlers.append(attach_shared_log(run_dir, json_format=json_log))
    return run_dir


def _interrupted_while_writing(run_dir: Path) -> EvidenceWriteError:
    """The error of a run stopped while its folder was written, logged."""
    log.error("interrupted while writing: run folder %s is incomplete, latest not moved", run_dir)
    from orgscan.findings import FINDINGS_FILE

    # findings.json is written first, atomically: it is there whole, or not at all.
    kept = (
        "findings.json, written first, is whole"
        if (run_dir / FINDINGS_FILE).is_file()
        else "no findings.json was written"
    )
    return EvidenceWriteError(
        f"interrupted while writing the run folder {run_dir}: it is incomplete ({kept})"
    )


def _merged(
    merge: Callable[[ScanResult, Path], ScanResult], result: ScanResult, run_dir: Path
) -> ScanResult:
    """``merge``'s result; a file it could not write leaves the folder incomplete (exit 4)."""
    try:
        return merge(result, run_dir)
    except OSError as exc:
        raise write_failure(exc, _INCOMPLETE, run_dir) from None


def _seal(run_dir: Path, run_id: str) -> str:
    """Write the run's manifest; return its SHA-256. ``EvidenceWriteError`` (exit 4) when it
    cannot be written: the folder then stays incomplete."""
    try:
        _, manifest_sha = write_manifest(run_dir, run_id)
    except OSError as exc:
        outcome = "the run folder is incomplete (no manifest.json)"
        raise write_failure(exc, outcome, run_dir) from None
    return manifest_sha
