"""The run folder on disk: creation without overwriting, completeness, and the ``latest``
pointer.

Run folders name accounts, buckets and ARNs: they are created ``0700`` and their files ``0600``
(``orgscan.files.atomic_write``; less when the process's umask is stricter). A run folder is
complete only once its ``manifest.json``, written last, exists: a crash or an interruption
leaves a folder without one. ``latest`` always names the newest run by start time, whatever
order overlapping runs finish in.

A run holds a lock on its folder (``hold_folder``, ``flock``) while it writes there. A
process killed meanwhile (SIGKILL, a power cut) leaves temporary files that nothing would ever
rename; the next run into the output folder removes them from every unfinished folder no live
run holds (``clean_abandoned``), so they never confuse a later run or a person.

Start times are the ones the runs recorded (``findings.json`` ``run.started_at``), not folder
names: a folder named by a wrong clock, or renamed, must not decide which run is the newest. A
recorded start later than now is a wrong clock's: it never keeps ``latest`` from moving.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import stat
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from orgscan.errors import EvidenceWriteError, InputError
from orgscan.files import TEMP_SUFFIX, atomic_write
from orgscan.findings import FINDINGS_FILE
from orgscan.jsondoc import parse_json_text, read_regular_file

log = logging.getLogger(__name__)

LATEST = "latest"
#: Written last into every run folder; its presence is what makes the folder complete.
MANIFEST_FILE = "manifest.json"

_RUN_NAME_RE = re.compile(r"^(?P<stamp>\d{8}T\d{6}Z)(?:-(?P<n>\d+))?\Z")


class RunFolderError(OSError):
    """The output folder cannot be created or written."""


def run_folder_name(started: datetime) -> str:
    """The folder name of a run started at ``started`` (UTC): ``20261127T090411Z``."""
    return started.strftime("%Y%m%dT%H%M%SZ")


def is_run_folder_name(name: str) -> bool:
    """True for names ``create_run_dir`` gives run folders."""
    return _RUN_NAME_RE.match(name) is not None


def run_sort_key(name: str) -> tuple[str, int]:
    """Chronological order of run folder names (the same-second suffix compared as a number,
    ``…Z-10`` after ``…Z-9``): the order the runs started in."""
    match = _RUN_NAME_RE.match(name)
    if match is None:
        return (name, 0)
    return (match["stamp"], int(match["n"] or 1))


def parse_started_at(value: object) -> datetime | None:
    """A recorded start time (``2026-11-27T09:04:11Z``) as an aware UTC datetime; None when
    ``value`` is not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def recorded_start(run_dir: Path) -> datetime | None:
    """The start time ``run_dir/findings.json`` records, or None when it cannot be read."""
    path = run_dir / FINDINGS_FILE
    try:
        document = parse_json_text(read_regular_file(path), str(path), InputError)
    except (OSError, UnicodeDecodeError, InputError):
        return None
    run = document.get("run") if isinstance(document, dict) else None
    return parse_started_at(run.get("started_at")) if isinstance(run, dict) else None


def start_order(name: str, started: datetime | None) -> tuple[datetime, tuple[str, int]]:
    """Sort key of the run in folder ``name`` that recorded ``started``: the start time, then
    the folder name (runs of one second). A run whose start cannot be read counts as started
    when its folder name says."""
    if started is None:
        match = _RUN_NAME_RE.match(name)
        started = (
            datetime.strptime(match["stamp"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            if match is not None
            else datetime.min.replace(tzinfo=UTC)
        )
    return (started, run_sort_key(name))


def is_complete(run_dir: Path) -> bool:
    """True when the run folder was written to the end (its ``manifest.json`` exists)."""
    return (run_dir / MANIFEST_FILE).is_file()


def check_output_dir(output_dir: Path) -> None:
    """``RunFolderError`` when a run could not be recorded in ``output_dir``: ``latest`` is a
    real directory (it could never be pointed at the run). Checked before a scan starts."""
    latest = output_dir / LATEST
    if latest.is_dir() and not latest.is_symlink():
        raise RunFolderError(
            f"{latest} is a directory, not the pointer to the newest run "
            "that orgscan keeps there; move it away"
        )


#: Errors that say the folder cannot be written (exit 4), not that the path is wrong (exit 2).
_CANNOT_WRITE = frozenset(
    {errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EDQUOT, errno.EIO}
)


def _creation_failed(what: str, path: Path, exc: OSError) -> Exception:
    message = f"cannot create {what} {path}: {exc.strerror or exc}"
    if exc.errno in _CANNOT_WRITE:
        return EvidenceWriteError(message + "; nothing was written")
    return RunFolderError(message)


def create_run_dir(output_dir: Path, started: datetime) -> Path:
    """Create a new, empty, private run folder below ``output_dir``; never reuse one.

    Two runs in the same second get ``…Z``, ``…Z-2``, ``…Z-3``: ``mkdir`` is the lock.
    ``RunFolderError`` when ``output_dir`` is no place for a run (a file, a name too long);
    ``EvidenceWriteError`` when it cannot be written (read-only, full, not permitted).
    """
    try:
        output_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise _creation_failed("output folder", output_dir, exc) from None
    check_output_dir(output_dir)
    clean_abandoned(output_dir)
    base = run_folder_name(started)
    for attempt in range(1, 1000):
        candidate = output_dir / (base if attempt == 1 else f"{base}-{attempt}")
        try:
            candidate.mkdir(mode=0o700)
        except FileExistsError:
            continue
        except OSError as exc:
            raise _creation_failed("run folder", candidate, exc) from None
        return candidate
    raise RunFolderError(f"too many runs named {base} in {output_dir}")


def _flock(path: Path, *, wait: bool) -> int | None:
    """An open descriptor of the directory ``path`` holding an exclusive ``flock``, or None
    when another process holds it (and ``wait`` is false)."""
    import fcntl

    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def hold_folder(folder: Path) -> Callable[[], None]:
    """Hold an exclusive ``flock`` on ``folder`` until the returned function is called (or the
    process ends), waiting for another holder first. A run holds its run folder while writing
    it, so that ``clean_abandoned`` leaves its temporary files alone."""
    if sys.platform == "win32":  # no flock; runs there are not expected to overlap
        return lambda: None
    fd = _flock(folder, wait=True)
    assert fd is not None
    return lambda: os.close(fd)


def clean_abandoned(output_dir: Path) -> list[Path]:
    """Remove the temporary files of killed runs from the unfinished run folders of
    ``output_dir`` that no running process holds; return what was removed."""
    if sys.platform == "win32":
        return []
    removed: list[Path] = []
    for entry in os.scandir(output_dir):
        if not (is_run_folder_name(entry.name) and entry.is_dir(follow_symlinks=False)):
            continue
        run_dir = Path(entry.path)
        if is_complete(run_dir):
            continue
        try:
            fd = _flock(run_dir, wait=False)
        except OSError:  # gone meanwhile, or not ours to open: nothing to clean
            continue
        if fd is None:  # a run is writing it
            continue
        try:
            removed += _remove_temp_files(run_dir)
        finally:
            os.close(fd)
    for path in removed:
        log.info("removed %s, left by a run that was stopped while writing", path)
    return removed


def _remove_temp_files(run_dir: Path) -> list[Path]:
    removed: list[Path] = []
    for folder, _, names in os.walk(run_dir):  # symbolic links to folders are not entered
        for name in names:
            path = Path(folder) / name
            if not (name.startswith(".") and name.endswith(TEMP_SUFFIX)):
                continue
            with contextlib.suppress(OSError):
                if stat.S_ISREG(os.lstat(path).st_mode):
                    path.unlink()
                    removed.append(path)
    return removed


@contextlib.contextmanager
def output_dir_locked(output_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``output_dir`` itself (``flock`` on the directory): the
    processes writing into one output folder take turns, and no lock file is left behind."""
    release = hold_folder(output_dir)
    try:
        yield
    finally:
        release()


def update_latest(output_dir: Path, run_dir: Path) -> bool:
    """Point ``output_dir/latest`` at ``run_dir`` atomically (a symlink, or a file naming it),
    unless it already names a run that recorded a later start (not in the future); False when
    it was left alone.

    Under ``output_dir_locked``: overlapping runs finish in any order, and ``latest`` must end
    on the newest by start time, not on the last to finish. ``RunFolderError`` when ``latest``
    is a directory, so the run never silently goes unrecorded.
    """
    latest = output_dir / LATEST
    with output_dir_locked(output_dir):
        check_output_dir(output_dir)
        current = resolve_latest(output_dir)
        if current is not None and current.name != run_dir.name and _keeps_latest(current, run_dir):
            return False
        # Every writer of latest holds the lock: any temporary file of it is a killed one's.
        for stale in output_dir.glob(f".{LATEST}.*{TEMP_SUFFIX}"):
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()
        tmp = output_dir / f".{LATEST}.{os.getpid()}{TEMP_SUFFIX}"
        try:
            tmp.symlink_to(run_dir.name, target_is_directory=True)
            os.replace(tmp, latest)
        except OSError:
            # No symlinks here (some file systems, Windows without privilege): a file holding
            # the name.
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            atomic_write(latest, run_dir.name + "\n")
    return True


def _keeps_latest(current: Path, new: Path) -> bool:
    # An overlapping run that started after ``new`` keeps latest; one that started after now
    # was run with a wrong clock, and would otherwise keep it for ever.
    current_start = recorded_start(current)
    if current_start is None or current_start > datetime.now(UTC):
        return False
    return start_order(current.name, current_start) > start_order(new.name, recorded_start(new))


def resolve_latest(output_dir: Path) -> Path | None:
    """The run folder ``output_dir/latest`` points at, or None when there is none."""
    latest = output_dir / LATEST
    if latest.is_symlink():
        target = output_dir / os.readlink(latest)
        return target if target.is_dir() else None
    if latest.is_file():
        try:
            name = read_regular_file(latest, max_bytes=4096).strip()
        except (OSError, UnicodeDecodeError):
            return None
        target = output_dir / name
        return target if name and "/" not in name and target.is_dir() else None
    return None
