"""``AtomicBatch``: files written together keep ``atomic_write``'s promise (each whole or
absent, no temporary file left) while their syncs are made together at the end."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from orgscan import files
from orgscan.files import TEMP_SUFFIX, AtomicBatch


def _names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def _without_syncfs(monkeypatch: pytest.MonkeyPatch) -> None:
    # As on a system without Linux's syncfs: each file is synced in turn.
    monkeypatch.setattr(files, "_libc_syncfs", lambda: None)


def _recorded_fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths ``os.fsync`` is called on from now on, in order."""
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return synced


def _write_two(folder: Path, within: Path) -> None:
    with AtomicBatch() as batch:
        batch.write(folder / "a.sh", "echo a\n", executable=True, within=within)
        batch.write(folder / "plan.json", [b"{", b"}\n"], within=within)
        assert [name.endswith(TEMP_SUFFIX) for name in _names(folder)] == [True, True]


def _written_as_promised(folder: Path) -> None:
    assert _names(folder) == ["a.sh", "plan.json"]
    assert (folder / "plan.json").read_text() == "{}\n"
    assert stat.S_IMODE((folder / "a.sh").stat().st_mode) & 0o077 == 0
    assert (folder / "a.sh").stat().st_mode & stat.S_IXUSR
    assert not (folder / "plan.json").stat().st_mode & stat.S_IXUSR


def test_files_appear_only_when_the_batch_commits_each_synced_before_its_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _without_syncfs(monkeypatch)
    synced = _recorded_fsyncs(monkeypatch)
    folder = tmp_path / "remediation"
    _write_two(folder, tmp_path)
    _written_as_promised(folder)
    # Both temporary files, then the folder, synced once each.
    assert [Path(name).name.endswith(TEMP_SUFFIX) for name in synced] == [True, True, False]
    assert synced[-1] == str(folder)


@pytest.mark.skipif(files._libc_syncfs() is None, reason="no syncfs on this system")
def test_on_linux_the_file_system_is_synced_once_before_any_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_syncfs = files._libc_syncfs()
    assert real_syncfs is not None
    folder = tmp_path / "remediation"
    seen: list[tuple[str, list[str]]] = []

    def syncfs(fd: int) -> None:
        # Nothing is renamed yet when the file system is synced.
        seen.append((os.readlink(f"/proc/self/fd/{fd}"), _names(folder)))
        real_syncfs(fd)

    fsynced = _recorded_fsyncs(monkeypatch)
    monkeypatch.setattr(files, "_libc_syncfs", lambda: syncfs)
    _write_two(folder, tmp_path)
    _written_as_promised(folder)
    assert len(seen) == 1
    assert seen[0][0] == str(folder)
    assert all(name.endswith(TEMP_SUFFIX) for name in seen[0][1])
    assert fsynced == [str(folder)]  # the folder, after its renames; no file on its own


def test_a_failed_syncfs_names_the_folder_and_renames_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(fd: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(files, "_libc_syncfs", lambda: failing)
    with pytest.raises(OSError, match="Input/output error") as raised:
        _write_all(tmp_path / "remediation", "a.sh", "b.sh")
    assert raised.value.filename == str(tmp_path / "remediation")
    assert _names(tmp_path / "remediation") == []


def test_a_taken_temporary_name_falls_back_to_a_fresh_one(tmp_path: Path) -> None:
    with AtomicBatch() as batch:
        batch.write(tmp_path / "a.sh", "first\n", executable=True)
        # A file left under the name the batch would take next for a.sh: never overwritten.
        taken = next(tmp_path.glob(f".a.sh.*{TEMP_SUFFIX}"))
        batch.write(tmp_path / "a.sh", "second\n", executable=True)
        assert taken.read_text() == "first\n"
    assert (tmp_path / "a.sh").read_text() == "second\n"
    assert (tmp_path / "a.sh").stat().st_mode & stat.S_IXUSR
    assert _names(tmp_path) == ["a.sh"]


def _write_all(folder: Path, *names: str, interrupt: bool = False) -> None:
    with AtomicBatch() as batch:
        for name in names:
            batch.write(folder / name, f"{name}\n")
        if interrupt:
            raise KeyboardInterrupt


def test_an_error_inside_the_batch_leaves_no_file_and_no_temporary_file(tmp_path: Path) -> None:
    (tmp_path / "old.sh").write_text("old\n")
    with pytest.raises(KeyboardInterrupt):
        _write_all(tmp_path, "old.sh", "b.sh", interrupt=True)
    assert _names(tmp_path) == ["old.sh"]
    assert (tmp_path / "old.sh").read_text() == "old\n"


def test_a_full_disk_at_the_sync_names_the_file_and_renames_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _without_syncfs(monkeypatch)
    real_fsync = os.fsync

    def full_disk_on_b(fd: int) -> None:
        if Path(os.readlink(f"/proc/self/fd/{fd}")).name.startswith(".b.sh."):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full_disk_on_b)
    with pytest.raises(OSError, match="No space left") as raised:
        _write_all(tmp_path, "a.sh", "b.sh")
    assert raised.value.errno == errno.ENOSPC
    assert raised.value.filename == str(tmp_path / "b.sh")
    assert _names(tmp_path) == []


def test_a_failed_rename_keeps_the_renamed_files_whole_and_removes_the_rest(
    tmp_path: Path,
) -> None:
    (tmp_path / "b.sh").mkdir()  # a directory where a script goes: its rename fails
    with pytest.raises(IsADirectoryError) as raised:
        _write_all(tmp_path, "a.sh", "b.sh", "c.sh")
    # As for atomic_write: the rename names its temporary file, then the file it was to be.
    assert raised.value.filename2 == str(tmp_path / "b.sh")
    assert _names(tmp_path) == ["a.sh", "b.sh"]
    assert (tmp_path / "a.sh").read_text() == "a.sh\n"
    assert (tmp_path / "b.sh").is_dir()
