"""Fixtures of the simulated-organization tests: the demo organization built in a fresh mock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orgscan.simulate import SimulatedOrg, build_demo_org, demo_mock


@pytest.fixture(scope="module")
def demo_org() -> Iterator[SimulatedOrg]:
    """The demo organization, built once per module inside ``demo_mock``, which stays active.

    Tests using it only read: one build serves them all.
    """
    with demo_mock():
        yield build_demo_org()
