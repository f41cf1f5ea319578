"""Writing files safely: every file orgscan writes goes through ``atomic_write``.

At the package root because reports, remediation and run folders all write files, and none of
them may import another for it. What orgscan writes names accounts, buckets and ARNs, so its
files are private: ``0600`` (``0700`` for a script), less when the process's umask is stricter.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


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


def atomic_write(path: Path, data: bytes | str, *, executable: bool = False) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    A crash or a full disk leaves either the old file or no file, never half of one. The file
    is private (``file_mode``); a folder it creates is ``0700``.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, file_mode(executable=executable))
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
