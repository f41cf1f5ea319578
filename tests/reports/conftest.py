"""Fixtures of the report tests: the hand-built scan result of ``report_fixture``."""

from __future__ import annotations

from dataclasses import replace

import pytest

from orgscan.model import ScanResult

from .report_fixture import build_result


@pytest.fixture
def scan_result() -> ScanResult:
    """The hand-built result described in this module's docstring."""
    return build_result()


@pytest.fixture
def empty_result() -> ScanResult:
    """A run that found nothing at all (no accounts, no trails)."""
    return replace(build_result(), accounts=(), findings=(), errors=())
