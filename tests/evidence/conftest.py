"""Fixtures of the evidence tests: one demo run folder, built once and copied per test."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from tests.evidence.cli import DEMO_ARGV, FORMATS, run_cli


@pytest.fixture(scope="session")
def demo_run_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder of the demo organization (scanned once for the whole session)."""
    out = tmp_path_factory.mktemp("demo")
    argv = [arg.replace("OUT", str(out)) for arg in DEMO_ARGV]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "argv", argv)
        # --external-id is not a demo option: the recorded argv is what is checked, the
        # demo itself is run with the options it has.
        code, _, stderr = run_cli("demo", "--output-dir", str(out), "-q", "--format", FORMATS)
    assert code == 0, stderr
    (run_dir,) = [path for path in out.iterdir() if path.is_dir() and not path.is_symlink()]
    return run_dir


@pytest.fixture
def demo_run(demo_run_master: Path, tmp_path: Path) -> Path:
    """A private copy of the demo run folder that a test may change."""
    copy = tmp_path / demo_run_master.name
    shutil.copytree(demo_run_master, copy, symlinks=True)
    return copy
