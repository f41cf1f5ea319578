"""The tamper step's reads on a thread pool: the same rows and statuses as one after the other,
each source read once (an OU's parent once for every account under it)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import botocore.session
import pytest

from benchmarks.instrument import CallRecorder, instrument
from orgscan.aws.sessions import SessionFactory
from orgscan.model import ScanResult
from orgscan.scan import scan_organization
from orgscan.scan.executors import MainThreadExecutor
from orgscan.simulate.fakeaws import FakeAws
from orgscan.simulate.scale import scale_spec
from orgscan.tamper.collect import TamperResult
from orgscan.tamper.step import start_run
from tests.builders import settings_for


class _Asked:
    """Every request's operation and parameters, from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: list[tuple[str, str]] = []

    def __call__(self, **event: Any) -> None:
        operation = event["event_name"].split(".")[-1]
        request = json.dumps(event["params"], sort_keys=True, default=repr)
        with self._lock:
            self.requests.append((operation, request))

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()


def _scanned() -> tuple[ScanResult, SessionFactory, FakeAws, _Asked]:
    spec = scale_spec(24, regions=("us-east-1", "eu-west-1"), seed=5)
    fake = FakeAws(spec)
    session = botocore.session.Session()
    session.set_credentials("bench", "bench")
    session.set_config_variable("region", "us-east-1")
    instrument(session, latency_s=0, recorder=CallRecorder(), respond=fake.register)
    asked = _Asked()
    session.register("before-parameter-build.*.*", asked)
    sessions = SessionFactory(max_pool_connections=8, base_session=session)
    result = scan_organization(settings_for(spec), sessions)
    asked.clear()
    return result, sessions, fake, asked


def _assessed(
    result: ScanResult, sessions: SessionFactory, fake: FakeAws, pool: Any
) -> TamperResult:
    return start_run(
        result, sessions, "us-east-1", fake.management_id, fake.management_id, (), pool
    ).result()


@pytest.mark.parametrize("workers", [1, 8])
def test_the_pool_gives_the_rows_of_the_serial_reads_and_reads_each_source_once(
    workers: int,
) -> None:
    result, sessions, fake, asked = _scanned()
    serial = _assessed(result, sessions, fake, None)
    serial_requests = Counter(asked.requests)
    asked.clear()
    with ThreadPoolExecutor(workers) as pool:
        parallel = _assessed(result, sessions, fake, pool)
    assert parallel == serial
    assert serial.weakeners
    assert serial.statuses
    # Each source once, and the same sources as the serial reads.
    assert Counter(asked.requests) == serial_requests
    assert max(serial_requests.values()) == 1
    children = [
        json.loads(params)["ChildId"] for op, params in asked.requests if op == "ListParents"
    ]
    # The accounts' OUs are read once each, not once per account under them.
    assert any(child.startswith("ou-") for child in children)
    assert len(children) == len(set(children))


def test_the_main_thread_executor_reads_in_the_calling_thread() -> None:
    result, sessions, fake, _ = _scanned()
    serial = _assessed(result, sessions, fake, None)
    assert _assessed(result, sessions, fake, MainThreadExecutor()) == serial
