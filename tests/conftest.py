"""Fixtures shared by every test folder: an offline, fake AWS environment for moto."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.environment import use_fake_aws


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake AWS credentials and ``us-east-1`` for the test, and nothing else from the user's
    environment (profiles, endpoints, real keys, retry or moto settings). Start ``mock_aws``
    after this fixture."""
    use_fake_aws(monkeypatch)


@pytest.fixture(scope="session", autouse=True)
def private_runtime_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A runtime folder of the test session (``XDG_RUNTIME_DIR``), so the lock files of the
    shared logs the tests write go to the session's temporary folder, not the machine's."""
    runtime = tmp_path_factory.mktemp("runtime")
    runtime.chmod(0o700)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_RUNTIME_DIR", str(runtime))
        yield runtime
