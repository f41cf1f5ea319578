"""Writing files safely: every file orgscan writes goes through ``atomic_write``.

At the package root because reports, remediation and run folders all write files, and none of
them may import another for it. What orgscan writes names accounts, buckets and ARNs, so its
files are private: ``0600`` (``0700`` for a script), less when the process's umask is stricter.

A folder below the one a writer owns (``remediation/``, ``evidence/`` below a run folder) is
never entered through a symbolic link: one planted there would send the evidence, or an apply
record, to a file elsewhere (``real_folder``). An ``OSError`` raised here always names the file
it was writing, so that the one line the user reads says which file could not be written.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import logging
import os
import secrets
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from orgscan.errors import EvidenceWriteError

log = logging.getLogger(__name__)

#: How the temporary files of ``atomic_write`` and the evidence recorder end; a later run
#: removes those a killed process left (``orgscan.runs.folder.clean_abandoned``).
TEMP_SUFFIX = ".tmp"


def _current_umask() -> int:
    # os.umask can only be read by setting it; set it straight back. Meanwhile a file created
    # by another thread gets 0o077 at worst: stricter, never looser. Read on every call, not
    # cached: a caller that tightens the umask later must be obeyed.
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def file_mode(*, executable: bool = False) -> int:
    """The mode of a file orgscan writes: ``0600`` (``0700`` for a script), less when the
    umask of the process is stricter."""
    return (0o700 if executable else 0o600) & ~_current_umask()


def real_folder(folder: Path, within: Path | None = None) -> Path:
    """Make sure ``folder`` exists (created ``0700``) and return it.

    With ``within``, every folder from ``within`` (excluded) down to ``folder`` must be a real
    directory, never a symbolic link: ``OSError`` (``ELOOP``) naming the link otherwise.
    Checked with ``lstat`` and created one level at a time, so nothing is created through a
    link either.
    """
    if within is None:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return folder
    try:
        below = folder.relative_to(within).parts
    except ValueError:
        raise ValueError(f"{folder} is not inside {within}") from None
    current = within
    for part in below:
        current = current / part
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            current.mkdir(mode=0o700)
            continue
        if stat.S_ISLNK(info.st_mode):
            raise OSError(errno.ELOOP, "a symbolic link, never followed", str(current))
        if not stat.S_ISDIR(info.st_mode):
            raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(current))
    return folder


def private_temp(path: Path, within: Path | None = None) -> tuple[int, Path]:
    """Create the private temporary file that will become ``path`` (``real_folder`` rules for
    its folder); return its open descriptor and its name."""
    folder = real_folder(path.parent, within)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=folder)
    return fd, Path(name)


def naming(exc: OSError, path: Path) -> OSError:
    """``exc`` if it names a file, else the same error naming ``path``: a full disk reported
    by ``write`` or ``fsync`` carries no file name, and the user must learn which file it was."""
    if exc.filename is not None:
        return exc
    return OSError(exc.errno, exc.strerror or str(exc), str(path))


def atomic_write(
    path: Path,
    data: bytes | str | Iterable[bytes],
    *,
    executable: bool = False,
    within: Path | None = None,
) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    ``data`` may be pieces made as they are written (a large report's stream): the file is
    written piece by piece and never held whole.

    A crash or a full disk leaves either the old file or no file, never half of one. The file
    is private (``file_mode``); a folder it creates is ``0700``. With ``within`` (the folder the
    writer owns, a run folder), no folder between it and ``path`` may be a symbolic link.
    ``OSError`` naming the file when it cannot be written.
    """
    tmp_name = _write_temp(path, data, executable=executable, within=within, sync=True)
    try:
        os.replace(tmp_name, path)
    except BaseException as exc:
        _discard(tmp_name)
        if isinstance(exc, OSError):
            raise naming(exc, path) from None
        raise


def _write_temp(
    path: Path,
    data: bytes | str | Iterable[bytes],
    *,
    executable: bool,
    within: Path | None,
    sync: bool,
    opened: tuple[int, Path] | None = None,
) -> Path:
    """The temporary file that will become ``path``, written (and synced, with ``sync``);
    nothing is left behind when it cannot be. ``opened``: the temporary file already created,
    with its mode (``AtomicBatch``); else one is made here."""
    pieces: Iterable[bytes] = (
        (data.encode("utf-8"),)
        if isinstance(data, str)
        else (data,)
        if isinstance(data, bytes)
        else data
    )
    if opened is None:
        try:
            fd, tmp_name = private_temp(path, within)
        except OSError as exc:
            raise naming(exc, path) from None
    else:
        fd, tmp_name = opened
    try:
        if opened is None:
            os.fchmod(fd, file_mode(executable=executable))
        with os.fdopen(fd, "wb") as handle:
            for piece in pieces:
                handle.write(piece)
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
    except BaseException as exc:
        _discard(tmp_name)
        if isinstance(exc, OSError):
            raise naming(exc, path) from None
        raise
    return tmp_name


def _discard(tmp_name: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp_name)


class AtomicBatch:
    """Many files written atomically together (a run's scripts): each is written to its
    temporary file at once, and ``commit`` syncs them all, renames each onto its name, then
    syncs each folder once.

    The promise is ``atomic_write``'s: every file is on disk before its rename, so a crash
    leaves each file whole or absent (temporary files at most, which a later run removes), and
    leaving the ``with`` block by an exception, Ctrl-C included, removes every temporary file
    and renames nothing. Syncing after all are written lets the file system commit them
    together instead of once per file (9,835 scripts at 10,000 accounts): on Linux one
    ``syncfs`` call, elsewhere each file in turn. ``OSError`` naming the file when one cannot
    be written.
    """

    def __init__(self) -> None:
        self._pending: list[tuple[Path, Path]] = []
        # Folders already checked (real_folder) for this batch's files.
        self._folders: set[Path] = set()
        # The random part of this batch's temporary names: created with O_EXCL, they never
        # take another's file, and a name taken already falls back to mkstemp's.
        self._token = secrets.token_hex(4)

    def write(
        self,
        path: Path,
        data: bytes | str | Iterable[bytes],
        *,
        executable: bool = False,
        within: Path | None = None,
    ) -> None:
        """Write ``data`` to the temporary file of ``path`` (``atomic_write``'s rules)."""
        opened = self._create(path, within, executable)
        tmp_name = _write_temp(
            path, data, executable=executable, within=within, sync=False, opened=opened
        )
        self._pending.append((tmp_name, path))

    def _create(self, path: Path, within: Path | None, executable: bool) -> tuple[int, Path] | None:
        """The temporary file of ``path``, created with its mode (``file_mode``: the umask
        applies at creation) and open for writing; None when its name is taken, and
        ``_write_temp`` makes one under mkstemp's name."""
        folder = path.parent
        try:
            if folder not in self._folders:
                real_folder(folder, within)
                self._folders.add(folder)
            tmp_name = folder / f".{path.name}.{self._token}{TEMP_SUFFIX}"
            return os.open(tmp_name, _CREATE, 0o700 if executable else 0o600), tmp_name
        except FileExistsError:
            return None
        except OSError as exc:
            raise naming(exc, path) from None

    def commit(self) -> None:
        """Sync every file written, rename each onto its name, sync their folders."""
        renamed = 0
        failing: Path | None = None
        try:
            if not _sync_file_systems({target.parent for _, target in self._pending}):
                for tmp_name, target in self._pending:
                    failing = target
                    fd = os.open(tmp_name, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
                    try:
                        os.fsync(fd)
                    finally:
                        os.close(fd)
            for tmp_name, target in self._pending:
                failing = target
                os.replace(tmp_name, target)
                renamed += 1
        except BaseException as exc:
            del self._pending[:renamed]
            self.discard()
            if isinstance(exc, OSError) and failing is not None:
                raise naming(exc, failing) from None
            raise
        folders = dict.fromkeys(path.parent for _, path in self._pending)
        self._pending.clear()
        for folder in folders:
            sync_folder(folder)

    def discard(self) -> None:
        """Remove every temporary file not yet renamed."""
        for tmp_name, _ in self._pending:
            _discard(tmp_name)
        self._pending.clear()

    def __enter__(self) -> AtomicBatch:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


#: A batch's temporary file: created, never opened through a link, not inherited.
_CREATE = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


def _sync_file_systems(folders: set[Path]) -> bool:
    """Sync every file system holding one of ``folders`` with Linux's ``syncfs``: once per file
    system, not once per file. False, having synced nothing, where there is no ``syncfs``.

    Python has no ``os.syncfs``; the C library's is called. Since Linux 5.8 it reports a
    write-back error as ``fsync`` would (``OSError``).
    """
    if not folders or not sys.platform.startswith("linux"):
        return not folders
    syncfs = _libc_syncfs()
    if syncfs is None:
        return False
    devices: dict[int, Path] = {}
    for folder in sorted(folders):
        try:
            devices.setdefault(os.stat(folder).st_dev, folder)
        except OSError as exc:
            raise naming(exc, folder) from None
    for folder in devices.values():
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            syncfs(fd)
        except OSError as exc:
            raise naming(exc, folder) from None
        finally:
            os.close(fd)
    return True


@functools.cache
def _libc_syncfs() -> Callable[[int], None] | None:
    """The C library's ``syncfs`` (``OSError`` when it fails), or None when there is none."""
    import ctypes  # here: only a batch of files needs it, and the command line starts faster

    try:
        function = ctypes.CDLL(None, use_errno=True).syncfs
    except (AttributeError, OSError):
        return None

    def syncfs(fd: int) -> None:
        if function(fd) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code))

    return syncfs


def sync_folder(folder: Path) -> None:
    """Sync ``folder`` itself: the names of the files renamed into it reach the disk."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        raise naming(exc, folder) from None
    try:
        os.fsync(fd)
    except OSError as exc:
        raise naming(exc, folder) from None
    finally:
        os.close(fd)


def write_failure(exc: OSError, outcome: str, fallback: Path) -> EvidenceWriteError:
    """The one line that says which file could not be written, why, and what it leaves;
    logged too. ``fallback`` is named when the error names no file."""
    target = exc.filename2 or exc.filename or fallback
    reason = exc.strerror or str(exc)
    log.error("could not write %s: %s; %s", target, reason, outcome)
    return EvidenceWriteError(f"could not write {target}: {reason}; {outcome}")
