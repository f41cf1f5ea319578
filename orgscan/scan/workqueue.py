"""The scan's work queue: priorities, a cap on work in flight, a completion queue, cancel.

Nothing here knows about AWS. Units wait in a backlog by ``Priority`` and are handed to the
executor a few at a time, most urgent first; each carries a handler that the calling thread runs
with the unit's outcome. Only the calling thread touches the queue's state (the executor's
threads only put finished futures on the completion queue), so no locks are needed.
"""

from __future__ import annotations

import queue
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from enum import IntEnum
from typing import Any

Handler = Callable[[Any], None]
#: One waiting unit: ``work(*args)``, and the handler of its outcome.
Unit = tuple[Callable[..., Any], Handler, tuple[Any, ...]]
# Runs one unit in a worker thread: runner(work, *args) -> outcome. Turns failures into values.
UnitRunner = Callable[..., Any]


class Priority(IntEnum):
    """Order in which waiting units start; lower starts first.

    A bucket read goes before the trail listings still queued: otherwise every read waits behind
    thousands of them and the scan ends with a tail of reads one after the other. The values
    are 0, 1, 2, … with no gap: each indexes its backlog.
    """

    PREPARE = 0
    READ = 1
    LISTING = 2
    TRAILS = 3


def _run_as_is(work: Callable[..., Any], *args: Any) -> Any:
    return work(*args)


class WorkQueue:
    """Units waiting, units running, and the outcomes that came back."""

    def __init__(
        self, executor: Executor, in_flight_limit: int, runner: UnitRunner = _run_as_is
    ) -> None:
        self.executor = executor
        # The caller sets the cap (the coordinator: eight units per worker). Units past it wait
        # here, by priority, instead of in the executor's FIFO queue: a new urgent unit then
        # waits behind at most the cap, and no more futures exist at a time.
        self.in_flight_limit = max(1, in_flight_limit)
        self.runner = runner
        self.submitted = 0
        self.completed = 0
        # A backlog holds units, and batches of units made only when they start (``submit_each``).
        self._backlog: tuple[deque[Unit | Iterator[Unit]], ...] = tuple(deque() for _ in Priority)
        self._pending: dict[Future[Any], Handler] = {}
        self._finished: queue.SimpleQueue[Future[Any]] = queue.SimpleQueue()

    @property
    def busy(self) -> bool:
        """True while a unit is running or waiting (nothing waits while nothing runs)."""
        return bool(self._pending)

    def submit(
        self, priority: Priority, work: Callable[..., Any], handler: Handler, *args: Any
    ) -> None:
        """Queue ``work(*args)``; ``handler`` gets its outcome in the calling thread."""
        self._backlog[priority].append((work, handler, args))
        self.submitted += 1
        self.fill()

    def submit_each(self, priority: Priority, units: Iterator[Unit]) -> None:
        """Queue ``units`` one after the other, each made only when it is about to start: a
        large scan queues hundreds of thousands of region listings, and a unit made early (its
        handler, its arguments) waits in memory until its turn."""
        self._backlog[priority].append(units)
        self.fill()

    def fill(self) -> None:
        """Hand queued units to the executor, most urgent first, while few enough run."""
        for backlog in self._backlog:
            while backlog and len(self._pending) < self.in_flight_limit:
                waiting = backlog[0]
                if isinstance(waiting, tuple):
                    backlog.popleft()
                    unit = waiting
                else:
                    drawn = next(waiting, None)
                    if drawn is None:  # the batch is done
                        backlog.popleft()
                        continue
                    self.submitted += 1
                    unit = drawn
                work, handler, args = unit
                future = self.executor.submit(self.runner, work, *args)
                self._pending[future] = handler
                future.add_done_callback(self._finished.put)

    def outcomes(self) -> Iterator[tuple[Handler, Any]]:
        """Wait for a unit to finish; yield it, and every other one finished meanwhile, with
        its handler. A unit's exception (``KeyboardInterrupt`` on the main-thread executor)
        is raised here."""
        for future in self._take_finished():
            handler = self._pending.pop(future)
            self.completed += 1
            yield handler, future.result()

    def _take_finished(self) -> list[Future[Any]]:
        # Finished futures arrive on a queue: concurrent.futures.wait() would visit every
        # pending future on each call, O(pending) per result, seconds of CPU for a large scan.
        finished = [self._finished.get()]
        while True:
            try:
                finished.append(self._finished.get_nowait())
            except queue.Empty:
                return finished

    def cancel(self) -> None:
        """Drop every waiting unit and cancel those not started; their handlers never run."""
        for future in self._pending:
            future.cancel()
        self._pending.clear()
        for backlog in self._backlog:
            backlog.clear()
