"""``manifest.json``: the SHA-256 and size of every file of a run folder, and checking it.

The manifest is written last, once every other file of the run is in place: its presence says
the run folder is complete, and its content lets anyone tell later whether any file was changed,
removed or added. It covers every regular file below the run folder except itself.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orgscan.errors import InputError
from orgscan.files import atomic_write
from orgscan.findings import folder_problem
from orgscan.jsondoc import parse_json_text, read_regular_file
from orgscan.runs.folder import MANIFEST_FILE

MANIFEST_VERSION = 1
# Far above any real manifest (a run of 10,000 accounts lists ~10,000 scripts, ~2 MB): a
# bigger file is not one orgscan wrote, and is refused before it is read into memory.
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
_CHUNK = 1024 * 1024
_SHA256_HEX = frozenset("0123456789abcdef")


class NotARunFolderError(InputError):
    """The path is not a run folder, or its manifest cannot be read or trusted as one."""


@dataclass(frozen=True)
class FileDigest:
    """One file's SHA-256 (lower-case hex) and size in bytes."""

    sha256: str
    bytes: int


@dataclass(frozen=True)
class Manifest:
    """What ``manifest.json`` holds: the run id and every file's digest by relative path."""

    run_id: str
    files: dict[str, FileDigest]

    def to_json(self) -> bytes:
        """The file's bytes: sorted paths, one stable layout, so equal manifests are equal."""
        document = {
            "manifest_version": MANIFEST_VERSION,
            "run_id": self.run_id,
            "files": {
                path: {"sha256": digest.sha256, "bytes": digest.bytes}
                for path, digest in sorted(self.files.items())
            },
        }
        return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


@dataclass(frozen=True)
class Verification:
    """How a run folder differs from its manifest; intact when all three are empty."""

    run_id: str
    checked: int
    changed: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    details: dict[str, str] = field(default_factory=dict)

    @property
    def intact(self) -> bool:
        """True when every file matches and nothing was added or removed."""
        return not (self.changed or self.missing or self.added)


def digest_file(path: Path) -> FileDigest:
    """SHA-256 and size of ``path``, read in chunks (a run's files may be large)."""
    sha = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            sha.update(chunk)
            size += len(chunk)
    return FileDigest(sha256=sha.hexdigest(), bytes=size)


def run_files(run_dir: Path) -> Iterator[tuple[str, Path]]:
    """Every entry below ``run_dir`` but the manifest and folders, as (relative POSIX path,
    path), sorted. Symbolic links are listed, not followed: a link is not a file of the run."""
    for root, dirs, files in os.walk(run_dir, followlinks=False):
        dirs.sort()
        base = Path(root)
        # A link to a folder is listed among dirs but not entered: report it as an entry.
        names = sorted(files + [name for name in dirs if (base / name).is_symlink()])
        for name in names:
            path = base / name
            relative = path.relative_to(run_dir).as_posix()
            if relative != MANIFEST_FILE:
                yield relative, path


def build_manifest(run_dir: Path, run_id: str) -> Manifest:
    """The manifest of ``run_dir`` as it is now."""
    files: dict[str, FileDigest] = {}
    for relative, path in run_files(run_dir):
        if path.is_symlink() or not path.is_file():
            continue  # only regular files are evidence; anything else shows up as "added"
        files[relative] = digest_file(path)
    return Manifest(run_id=run_id, files=files)


def write_manifest(run_dir: Path, run_id: str) -> tuple[Path, str]:
    """Write ``run_dir/manifest.json`` atomically; return its path and its own SHA-256.

    Call it only when every other file of the run is written: it seals the folder.
    """
    payload = build_manifest(run_dir, run_id).to_json()
    path = run_dir / MANIFEST_FILE
    atomic_write(path, payload)
    return path, hashlib.sha256(payload).hexdigest()


def load_manifest(run_dir: Path) -> Manifest:
    """``run_dir``'s manifest; ``NotARunFolderError`` for a path that is not a run folder
    (no findings.json) or a manifest that is missing, unreadable or not one orgscan writes."""
    problem = folder_problem(run_dir)
    if problem is not None:
        raise NotARunFolderError(f"{run_dir}: not a run folder ({problem})")
    path = run_dir / MANIFEST_FILE
    try:
        if path.is_file() and path.stat().st_size > MAX_MANIFEST_BYTES:
            raise NotARunFolderError(f"{path}: larger than {MAX_MANIFEST_BYTES} bytes")
        text = read_regular_file(path)
    except FileNotFoundError:
        raise NotARunFolderError(
            f"{path}: missing (the run did not finish, or was written "
            "by an orgscan without manifests)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise NotARunFolderError(f"{path}: cannot be read ({exc})") from None
    return _parse_manifest(parse_json_text(text, str(path), NotARunFolderError), path)


def _parse_manifest(document: Any, path: Path) -> Manifest:
    if not isinstance(document, dict) or document.get("manifest_version") != MANIFEST_VERSION:
        raise NotARunFolderError(
            f"{path}: not a manifest (manifest_version {MANIFEST_VERSION} expected)"
        )
    run_id = document.get("run_id")
    files = document.get("files")
    if not isinstance(run_id, str) or not isinstance(files, dict):
        raise NotARunFolderError(f"{path}: needs a string run_id and a files object")
    digests: dict[str, FileDigest] = {}
    for name, entry in files.items():
        if not _safe_relative(name):
            raise NotARunFolderError(f"{path}: {name!r:.80} is not a path inside the run folder")
        sha = entry.get("sha256") if isinstance(entry, dict) else None
        size = entry.get("bytes") if isinstance(entry, dict) else None
        if (
            not isinstance(sha, str)
            or len(sha) != 64
            or not set(sha) <= _SHA256_HEX
            or isinstance(size, bool)
            or not isinstance(size, int)
            or size < 0
        ):
            raise NotARunFolderError(
                f"{path}: entry {name!r:.80} needs a sha256 (64 hex digits) and a byte count"
            )
        digests[name] = FileDigest(sha256=sha, bytes=size)
    return Manifest(run_id=run_id, files=digests)


def _safe_relative(name: str) -> bool:
    parts = name.split("/")
    return (
        bool(name)
        and not name.startswith("/")
        and "\\" not in name
        and "\x00" not in name
        and all(part not in ("", ".", "..") for part in parts)
    )


def verify_folder(run_dir: Path, manifest: Manifest | None = None) -> Verification:
    """Compare ``run_dir`` with its manifest: files changed, missing and added."""
    manifest = manifest or load_manifest(run_dir)
    present = dict(run_files(run_dir))
    changed: list[str] = []
    details: dict[str, str] = {}
    missing = sorted(name for name in manifest.files if name not in present)
    for name, expected in sorted(manifest.files.items()):
        path = present.get(name)
        if path is None:
            continue
        if path.is_symlink() or not path.is_file():
            changed.append(name)
            details[name] = "no longer a regular file"
            continue
        try:
            actual = digest_file(path)
        except OSError as exc:
            changed.append(name)
            details[name] = f"cannot be read ({exc.strerror})"
            continue
        if actual != expected:
            changed.append(name)
            details[name] = (
                f"{actual.bytes} bytes, sha256 {actual.sha256[:12]}…; manifest: "
                f"{expected.bytes} bytes, sha256 {expected.sha256[:12]}…"
            )
    added = sorted(name for name in present if name not in manifest.files)
    return Verification(
        run_id=manifest.run_id,
        checked=len(manifest.files),
        changed=tuple(changed),
        missing=tuple(missing),
        added=tuple(added),
        details=details,
    )


def sealed_files(run_dir: Path) -> frozenset[str] | None:
    """The paths ``run_dir``'s manifest lists, or None when the run has no manifest."""
    if not (run_dir / MANIFEST_FILE).exists():
        return None
    return frozenset(load_manifest(run_dir).files)
