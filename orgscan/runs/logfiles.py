"""The log files of a run: private, never written through a symbolic link.

A run writes its own ``orgscan.log`` (only this process writes it) and appends to the output
folder's, which every run of that folder shares. Both are created ``0600`` (evidence names
accounts and buckets; less when the umask is stricter), and both are opened by ``open_private``:
a symbolic link planted in the output folder is refused, never followed, so orgscan cannot be
made to append to a file elsewhere.

The shared log is concurrent-log-handler's ``ConcurrentRotatingFileHandler``: several processes
(cron overlapping a manual run) append and rotate it safely. Its lock file lives in a private
directory of the user outside the output folder (``lock_directory``), so nothing is left next
to the evidence and two processes writing the same log take the same lock. There are at most
``LOCK_SLOTS`` of them, whatever the number of output folders over the years: a lock file
cannot be removed safely while another process may hold it open, so each log is given one of
a fixed set, and two logs that share one only take turns a little more.

A log that cannot be written (a full disk) does not spew one "Logging error" traceback per
line: the handler keeps the first error as ``failure``, writes nothing more, and the run
reports it once (``orgscan.runs.logsetup.close_run_log``).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging.handlers
import os
import stat
import sys
import tempfile
from io import TextIOWrapper
from pathlib import Path

from concurrent_log_handler import ConcurrentRotatingFileHandler

from orgscan.files import file_mode

# O_NONBLOCK: opening a FIFO planted as the log must fail (ENXIO), not wait for a reader; it
# changes nothing for a regular file.
_OPEN_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_NONBLOCK
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


def open_private(path: Path, *, truncate: bool = False) -> TextIOWrapper:
    """``path`` opened to append (or emptied, with ``truncate``), created private.

    ``OSError`` when ``path`` is a symbolic link (checked with ``lstat`` first, and
    ``O_NOFOLLOW`` closes the gap between the check and the open) or anything but a regular
    file.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        pass
    else:
        if stat.S_ISLNK(info.st_mode):
            raise OSError(errno.ELOOP, "a symbolic link, never followed", str(path))
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
    flags = _OPEN_FLAGS | (os.O_TRUNC if truncate else os.O_APPEND)
    fd = os.open(path, flags, file_mode())
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        return os.fdopen(fd, "w" if truncate else "a", encoding="utf-8", errors="backslashreplace")
    except BaseException:
        os.close(fd)
        raise


class _StopsAtFirstFailure(logging.FileHandler):
    """A log file handler that stops writing at its first ``OSError`` and keeps it as
    ``failure``, instead of printing a traceback for that line and every later one."""

    failure: OSError | None = None

    def emit(self, record: logging.LogRecord) -> None:
        """Write ``record``, unless an earlier write failed."""
        if self.failure is None:
            super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:
        """Keep the first ``OSError`` and close the file quietly; anything else (a bad format
        string, a bug) is reported as the logging module does."""
        error = sys.exc_info()[1]
        if not isinstance(error, OSError):
            super().handleError(record)
            return
        if self.failure is None:
            self.failure = (
                error
                if error.filename
                else OSError(error.errno, error.strerror or str(error), self.baseFilename)
            )
        self._close_quietly()

    def close(self) -> None:
        """Close the file; a final flush that fails is kept as ``failure``, never raised."""
        try:
            super().close()
        except OSError as exc:
            if self.failure is None:
                self.failure = OSError(exc.errno, exc.strerror or str(exc), self.baseFilename)
            self._close_quietly()

    def _close_quietly(self) -> None:
        # The buffered lines can never be written: closing fails again, but frees the file.
        with contextlib.suppress(OSError):
            super().close()


class RunLogHandler(_StopsAtFirstFailure, logging.handlers.RotatingFileHandler):
    """The run's own ``orgscan.log``, rotated at ``maxBytes``; one process writes it, so the
    standard handler serves, opened through ``open_private``."""

    def _open(self) -> TextIOWrapper:
        return open_private(Path(self.baseFilename), truncate=self.mode == "w")


#: How many lock folders the shared logs of all output folders share (see the module doc).
LOCK_SLOTS = 64


def lock_directory(log_path: Path) -> Path:
    """The private directory that holds the lock file of the log at ``log_path``.

    Below ``$XDG_RUNTIME_DIR`` (or the temporary folder), ``orgscan-<uid>``, created ``0700``
    and refused (``OSError``) unless it is a real directory of this user that nobody else may
    enter: in a shared ``/tmp`` another user could have made it first. In it, one of
    ``LOCK_SLOTS`` subdirectories chosen from the log's real path, so every process writing
    that log finds the same lock.
    """
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    base = (
        Path(runtime)
        if os.path.isabs(runtime) and os.path.isdir(runtime)
        else Path(tempfile.gettempdir())
    )
    uid = os.getuid() if hasattr(os, "getuid") else None
    private = base / f"orgscan-{uid if uid is not None else os.getlogin()}"
    _private_dir(private)
    info = os.lstat(private)
    if (
        not stat.S_ISDIR(info.st_mode)
        or (uid is not None and info.st_uid != uid)
        or stat.S_IMODE(info.st_mode) & 0o077
    ):
        raise OSError(errno.EPERM, "not a private directory of this user", str(private))
    real = os.path.join(os.path.realpath(log_path.parent), log_path.name)
    slot = int(hashlib.sha256(os.fsencode(real)).hexdigest(), 16) % LOCK_SLOTS
    keyed = private / f"log-lock-{slot:02d}"
    _private_dir(keyed)
    return keyed


def _private_dir(path: Path) -> None:
    # Exactly 0700, whatever the umask: a stricter one (0277) would leave a folder the lock
    # file cannot be created in.
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        return
    os.chmod(path, 0o700)


class SharedLogHandler(_StopsAtFirstFailure, ConcurrentRotatingFileHandler):
    """The output folder's ``orgscan.log``: appended and rotated by several processes at once
    (concurrent-log-handler), opened through ``open_private``, its lock file in
    ``lock_directory``. Opened at once, so that a log that cannot be written (a planted
    symbolic link, a read-only folder) is an ``OSError`` here, for the caller to decide."""

    def __init__(self, path: Path, max_bytes: int, backups: int) -> None:
        # chmod applies to the lock file only (do_open below opens the log): always 0600, as
        # every process reopens it read-write, and its folder is private anyway.
        super().__init__(
            str(path),
            maxBytes=max_bytes,
            backupCount=backups,
            encoding="utf-8",
            chmod=0o600,
            lock_file_directory=str(lock_directory(path)),
        )
        self.stream = self.do_open()

    def do_open(self, mode: str | None = None) -> TextIOWrapper:
        """The log file, opened through ``open_private`` (every reopen too: after another
        process rotated it, a link planted in its place is refused as well)."""
        stream = open_private(Path(self.baseFilename), truncate=(mode or self.mode) == "w")
        # A log an older version left readable to others is made private (the owner's bits
        # are left alone); a log of another user (fchmod refused) is still written.
        current = stat.S_IMODE(os.fstat(stream.fileno()).st_mode)
        if current & 0o077:
            with contextlib.suppress(OSError):
                os.fchmod(stream.fileno(), current & ~0o077)
        return stream
