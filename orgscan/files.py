"""Writing files safely: every file orgscan writes goes through ``atomic_write``.

At the package root because reports, remediation and run folders all write files, and none of
them may import another for it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    A crash or a full disk leaves either the old file or no file, never half of one.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates 0600; a report is as readable as any file the user writes.
        os.chmod(tmp_name, 0o666 & ~_current_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


@functools.cache
def _current_umask() -> int:
    # os.umask can only be read by setting it; set it straight back (once per process).
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
