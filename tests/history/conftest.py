"""Fixtures of the run history, diff and exceptions tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def output_dir(tmp_path: Path) -> Path:
    """An empty output folder."""
    path = tmp_path / "reports"
    path.mkdir()
    return path
