"""The run folder on disk: creation without overwriting, completeness, and the ``latest``
pointer.

Run folders name accounts, buckets and ARNs: they are created ``0700`` and their files ``0600``
(``orgscan.files.atomic_write``; less when the process's umask is stricter). A run folder is
complete only once its ``manifest.json``, written last, exists: a crash or an interruption
leaves a folder without one. ``latest`` always names the newest run by start time, whatever
order overlapping runs finish in.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from orgscan.errors import EvidenceWriteError
from orgscan.files import atomic_write
from orgscan.jsondoc import read_regular_file

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


@contextlib.contextmanager
def output_dir_locked(output_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``output_dir`` itself (``flock`` on the directory): the
    processes writing into one output folder take turns, and no lock file is left behind."""
    if sys.platform == "win32":  # no flock; runs there are not expected to overlap
        yield
        return
    import fcntl

    fd = os.open(output_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def update_latest(output_dir: Path, run_dir: Path) -> bool:
    """Point ``output_dir/latest`` at ``run_dir`` atomically (a symlink, or a file naming it),
    unless it already names a run that started later; False when it was left alone.

    Under ``output_dir_locked``: overlapping runs finish in any order, and ``latest`` must end
    on the newest by start time, not on the last to finish. ``RunFolderError`` when ``latest``
    is a directory, so the run never silently goes unrecorded.
    """
    latest = output_dir / LATEST
    with output_dir_locked(output_dir):
        check_output_dir(output_dir)
        current = resolve_latest(output_dir)
        if (
            current is not None
            and current.name != run_dir.name
            and is_run_folder_name(current.name)
            and run_sort_key(current.name) > run_sort_key(run_dir.name)
        ):
            return False
        tmp = output_dir / f".{LATEST}.{os.getpid()}.tmp"
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
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
