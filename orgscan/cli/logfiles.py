"""The log files of a run: private, never written through a symbolic link, shared safely.

A run writes its own ``orgscan.log`` and appends to the output folder's, which every run of that
folder shares. Both are created ``0600`` (evidence names accounts and buckets) and opened with
``O_NOFOLLOW``: a symbolic link planted in the output folder cannot make orgscan append to a
file elsewhere. Processes sharing a log take turns with ``flock`` on the log file itself, so no
lock file is left next to it; each record is one ``write`` of a whole line, and rotation happens
under the same lock.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
import sys
from pathlib import Path

from orgscan.files import file_mode

_OPEN_FLAGS = (os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
               | getattr(os, "O_CLOEXEC", 0))


def open_log(path: Path) -> int:
    """A descriptor appending to ``path``, created private; ``OSError`` when ``path`` is a
    symbolic link (``ELOOP``) or anything but a regular file."""
    fd = os.open(path, _OPEN_FLAGS, file_mode())
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    return fd


def _lock(fd: int) -> None:
    if sys.platform != "win32":
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)


def _unlock(fd: int) -> None:
    if sys.platform != "win32":
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


class LogFileHandler(logging.Handler):
    """Appends each record as one line to ``path``, rotating it at ``max_bytes`` into
    ``path.1`` … ``path.<backups>``; safe when several processes write the same file."""

    def __init__(self, path: Path, max_bytes: int, backups: int) -> None:
        super().__init__()
        self.path = path
        self.max_bytes = max_bytes
        self.backups = backups
        self._fd: int | None = open_log(path)  # OSError here: the caller decides

    def emit(self, record: logging.LogRecord) -> None:
        """Write ``record`` as one line under the file's lock."""
        try:
            line = (self.format(record) + "\n").encode("utf-8", "backslashreplace")
            fd = self._locked_current()
            try:
                size = os.fstat(fd).st_size
                if self.max_bytes and size and size + len(line) > self.max_bytes:
                    fd = self._rotate(fd)
                os.write(fd, line)
            finally:
                _unlock(fd)
        except Exception:  # noqa: BLE001 - as logging.Handler does: a log never stops the run
            self.handleError(record)

    def _locked_current(self) -> int:
        """The descriptor of the file now at ``path``, locked. Another process may have
        rotated the file while this one waited for the lock: then the new file is opened."""
        while True:
            if self._fd is None:
                self._fd = open_log(self.path)
            _lock(self._fd)
            try:
                current = os.lstat(self.path)
            except FileNotFoundError:
                current = None
            opened = os.fstat(self._fd)
            if current is not None and (current.st_ino, current.st_dev) == (opened.st_ino,
                                                                            opened.st_dev):
                return self._fd
            _unlock(self._fd)
            os.close(self._fd)
            self._fd = None

    def _rotate(self, fd: int) -> int:
        """Shift the backups, move the full file to ``path.1``, open a new one (locked)."""
        for number in range(self.backups - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{number}")
            if older.exists() or older.is_symlink():
                os.replace(older, self.path.with_name(f"{self.path.name}.{number + 1}"))
        if self.backups:
            os.replace(self.path, self.path.with_name(f"{self.path.name}.1"))
        else:
            os.truncate(fd, 0)
            return fd
        # Waiting writers hold the old file: they see it moved and open the new one.
        _unlock(fd)
        os.close(fd)
        self._fd = None
        return self._locked_current()

    def close(self) -> None:
        """Close the file."""
        self.acquire()
        try:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
        finally:
            self.release()
        super().close()
