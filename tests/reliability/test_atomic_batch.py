"""``AtomicBatch``: files written together keep ``atomic_write``'s promise (each whole or
absent, no temporary file left) while their syncs are made together at the end."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from orgscan.files import TEMP_SUFFIX, AtomicBatch


def _names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_files_appear_only_when_the_batch_commits_each_synced_before_its_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    folder = tmp_path / "remediation"
    with AtomicBatch() as batch:
        batch.write(folder / "a.sh", "echo a\n", executable=True, within=tmp_path)
        batch.write(folder / "plan.json", [b"{", b"}\n"], within=tmp_path)
        assert [name.endswith(TEMP_SUFFIX) for name in _names(folder)] == [True, True]
        assert synced == []
    assert _names(folder) == ["a.sh", "plan.json"]
    assert (folder / "plan.json").read_text() == "{}\n"
    assert stat.S_IMODE((folder / "a.sh").stat().st_mode) & 0o077 == 0
    assert (folder / "a.sh").stat().st_mode & stat.S_IXUSR
    assert not (folder / "plan.json").stat().st_mode & stat.S_IXUSR
    # Both temporary files, then the folder, synced once each.
    assert [Path(name).name.endswith(TEMP_SUFFIX) for name in synced] == [True, True, False]
    assert synced[-1] == str(folder)


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
