"""The scan's work queue on the main-thread executor: priorities, the in-flight cap, cancel."""

from __future__ import annotations

import functools
from concurrent.futures import Executor, Future
from typing import Any

from orgscan.facts import AwsError
from orgscan.scan.executors import MainThreadExecutor
from orgscan.scan.units import run_unit
from orgscan.scan.workqueue import Priority, WorkQueue


class _Deferred(Executor):
    """Holds submitted work until ``run_all``: shows what the queue gave the executor."""

    def __init__(self) -> None:
        self.started: list[tuple[Future[Any], Any, tuple[Any, ...]]] = []

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        self.started.append((future, fn, args))
        return future

    def run_all(self) -> None:
        for future, fn, args in self.started:
            if not future.done():
                future.set_result(fn(*args))


def _echo(value: str) -> str:
    return value


def test_the_most_urgent_waiting_unit_starts_first_within_the_cap() -> None:
    executor = _Deferred()
    work = WorkQueue(executor, in_flight_limit=2)
    seen: list[str] = []
    work.submit(Priority.TRAILS, _echo, seen.append, "trails-1")
    work.submit(Priority.TRAILS, _echo, seen.append, "trails-2")
    work.submit(Priority.TRAILS, _echo, seen.append, "trails-3")
    work.submit(Priority.READ, _echo, seen.append, "read")
    work.submit(Priority.PREPARE, _echo, seen.append, "prepare")

    assert [args[1] for _, _, args in executor.started] == ["trails-1", "trails-2"]
    executor.run_all()
    for handler, outcome in work.outcomes():
        handler(outcome)
    assert seen == ["trails-1", "trails-2"]
    work.fill()  # two places free: the prepare unit, then the read, before the last listing
    assert [args[1] for _, _, args in executor.started[2:]] == ["prepare", "read"]
    assert (work.submitted, work.completed) == (5, 2)


def test_a_batch_makes_each_unit_when_it_starts_in_its_place_in_line() -> None:
    executor = _Deferred()
    work = WorkQueue(executor, in_flight_limit=2)
    seen: list[str] = []
    made: list[str] = []

    def units(names: list[str]) -> Any:
        for name in names:
            made.append(name)
            yield _echo, seen.append, (name,)

    work.submit_each(Priority.TRAILS, units(["a-1", "a-2", "a-3"]))
    work.submit(Priority.TRAILS, _echo, seen.append, "b")
    work.submit(Priority.READ, _echo, seen.append, "read")

    assert made == ["a-1", "a-2"]  # the third waits unmade
    executor.run_all()
    for handler, outcome in work.outcomes():
        handler(outcome)
    work.fill()
    assert [args[1] for _, _, args in executor.started] == ["a-1", "a-2", "read", "a-3"]
    executor.run_all()
    for handler, outcome in work.outcomes():
        handler(outcome)
    work.fill()
    executor.run_all()
    for handler, outcome in work.outcomes():
        handler(outcome)
    assert seen == ["a-1", "a-2", "read", "a-3", "b"]
    assert (work.submitted, work.completed, work.busy) == (5, 5, False)


def test_outcomes_come_back_to_their_handlers_on_the_main_thread_executor() -> None:
    work = WorkQueue(MainThreadExecutor(), in_flight_limit=8)
    seen: dict[str, str] = {}
    for name in ("a", "b", "c"):
        work.submit(
            Priority.LISTING,
            _echo,
            functools.partial(seen.__setitem__, name),
            name.upper(),
        )
    assert work.busy
    for handler, outcome in work.outcomes():
        handler(outcome)
    assert seen == {"a": "A", "b": "B", "c": "C"}
    assert not work.busy


def test_cancel_drops_waiting_and_running_units() -> None:
    executor = _Deferred()
    work = WorkQueue(executor, in_flight_limit=1)
    seen: list[str] = []
    work.submit(Priority.READ, _echo, seen.append, "running")
    work.submit(Priority.READ, _echo, seen.append, "waiting")
    work.cancel()
    assert not work.busy
    work.fill()
    assert len(executor.started) == 1  # the waiting unit never reached the executor
    assert executor.started[0][0].cancelled()


def _broken(sessions: object, name: str) -> str:
    raise RuntimeError(f"no {name}")


def test_a_failing_unit_becomes_an_error_value() -> None:
    work = WorkQueue(MainThreadExecutor(), in_flight_limit=4, runner=run_unit)
    seen: list[object] = []
    work.submit(Priority.READ, _broken, seen.append, None, "bucket")
    for handler, outcome in work.outcomes():
        handler(outcome)
    assert seen == [AwsError("RuntimeError", "no bucket")]
