"""The run folder on disk: creation without overwriting, the ``latest`` pointer."""

from __future__ import annotations

import contextlib
import os
from datetime import datetime
from pathlib import Path

from orgscan.files import atomic_write

LATEST = "latest"


class RunFolderError(OSError):
    """The output folder cannot be created or written."""


def run_folder_name(started: datetime) -> str:
    """The folder name of a run started at ``started`` (UTC): ``20261127T090411Z``."""
    return started.strftime("%Y%m%dT%H%M%SZ")


def create_run_dir(output_dir: Path, started: datetime) -> Path:
    """Create a new, empty run folder below ``output_dir``; never reuse an existing one.

    Two runs in the same second get ``…Z``, ``…Z-2``, ``…Z-3``: ``mkdir`` is the lock.
    """
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunFolderError(f"cannot create output folder {output_dir}: {exc.strerror}") from None
    base = run_folder_name(started)
    for attempt in range(1, 1000):
        candidate = output_dir / (base if attempt == 1 else f"{base}-{attempt}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            raise RunFolderError(f"cannot create run folder {candidate}: {exc.strerror}") from None
        return candidate
    raise RunFolderError(f"too many runs named {base} in {output_dir}")


def update_latest(output_dir: Path, run_dir: Path) -> None:
    """Point ``output_dir/latest`` at ``run_dir`` atomically (a symlink, or a file naming it)."""
    latest = output_dir / LATEST
    tmp = output_dir / f".{LATEST}.{os.getpid()}.tmp"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    try:
        tmp.symlink_to(run_dir.name, target_is_directory=True)
        os.replace(tmp, latest)
    except OSError:
        # No symlinks here (some file systems, Windows without privilege): a file holding the name.
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        if latest.is_symlink() or latest.is_file() or not latest.exists():
            atomic_write(latest, run_dir.name + "\n")


def resolve_latest(output_dir: Path) -> Path | None:
    """The run folder ``output_dir/latest`` points at, or None when there is none."""
    latest = output_dir / LATEST
    if latest.is_symlink():
        target = output_dir / os.readlink(latest)
        return target if target.is_dir() else None
    if latest.is_file():
        name = latest.read_text(encoding="utf-8").strip()
        target = output_dir / name
        return target if name and "/" not in name and target.is_dir() else None
    return None
