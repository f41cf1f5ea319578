"""Fixtures of the remediation tests: a fake ``aws`` command, and built runs taken as recorded."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.remediation.samples import FAKE_AWS, FakeAws


@pytest.fixture
def fake_aws(tmp_path: Path) -> FakeAws:
    """A fake ``aws`` command in its own folder."""
    folder = tmp_path / "fakebin"
    folder.mkdir()
    aws = folder / "aws"
    aws.write_text(FAKE_AWS, encoding="utf-8")
    aws.chmod(aws.stat().st_mode | stat.S_IXUSR)
    return FakeAws(folder=folder, log=tmp_path / "aws-calls.log")


@pytest.fixture
def evidence_agrees(monkeypatch: pytest.MonkeyPatch) -> None:
    """Take the findings of a run built in the test (not scanned: it has no recorded AWS
    responses) as following from its evidence, for tests of what `remediate --apply` does
    with a trusted run. Refusing untrusted runs is tested in ``test_run_trust.py``."""
    from orgscan.evidence import recompute

    monkeypatch.setattr(recompute, "recompute_run", lambda run_dir: [])
