"""The demo organization answered by the in-process responder (``orgscan.simulate.fakeaws``)
instead of moto, for tests that only read it.

``tests/bench/test_fakeaws.py`` proves a scan through the responder equals a scan through moto;
building the organization costs nothing and each call a fraction of moto's CPU. Tests that change
AWS state, or need a server, keep moto (``demo_org``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import botocore.session
import pytest

from orgscan.simulate import SimulatedOrg
from orgscan.simulate.demo import demo_spec
from orgscan.simulate.fakeaws import FakeAws
from tests.environment import use_fake_aws


@contextmanager
def answered_by(fake: FakeAws) -> Iterator[None]:
    """Every botocore session made inside (``SessionFactory``'s, boto3's) is answered by
    ``fake``; a call it does not know raises instead of going anywhere."""
    make_session = botocore.session.get_session

    def get_session(env_vars: Any = None) -> botocore.session.Session:
        session = make_session(env_vars)
        fake.register(session)
        return session

    with pytest.MonkeyPatch.context() as patch:
        use_fake_aws(patch)
        patch.setattr(botocore.session, "get_session", get_session)
        # boto3's default session may predate the patch.
        patch.setattr(boto3, "DEFAULT_SESSION", None)
        yield


@contextmanager
def fake_demo() -> Iterator[SimulatedOrg]:
    """The demo organization, answered by the responder while inside."""
    fake = FakeAws(demo_spec())
    with answered_by(fake):
        yield fake.simulated_org()
