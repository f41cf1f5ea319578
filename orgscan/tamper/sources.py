"""Each tamper-path source read once, on the run's executor, whoever asks for it.

Two trails that rest on the same account's policies wait on one read. A source that cannot be
read is an ``Unread`` value in its future, never an exception: whoever asks gets "could not
tell". A read runs either on the executor or, when it continues a chain (the next ``ListParents``
of a path, a policy named by a listing), in the thread that asks: such a read is then always
running somewhere, so a thread waiting on it never waits on work queued behind itself.

A large organization has hundreds of thousands of sources, so each costs little: a
``concurrent.futures.Future`` carries a lock and a condition of its own (about a kilobyte), and
one handed to the executor a second future and a work item. A source is a ``Reading`` instead,
waited on through its ``Sources``' one condition; the reads wait in a queue that a few tasks on
the executor take them from, one after the other; once a source is answered, its entry is the
bare answer.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Hashable
from concurrent.futures import Executor, InvalidStateError
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

#: What a read may fail with and still be "could not tell": AWS refusing or not answering, an
#: answer not shaped as expected, or a client that cannot make the call at all (a simulated
#: AWS without it).
READ_ERRORS = (ClientError, BotoCoreError, ValueError, KeyError, TypeError, NotImplementedError)
#: Tasks taking reads from the queue at most: as many as a scan may have workers.
_READERS = 512

log = logging.getLogger(__name__)


class Unread(Exception):
    """A source could not be read; its message names it, ``code`` says why."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def error_code(exc: BaseException) -> str:
    """AWS's error code of a refusal, else the exception's type name."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "ClientError"))
    return type(exc).__name__


class Answer(Protocol):
    """A source's answer: a ``Reading`` while it is read, an ``Answered`` once it is."""

    def result(self, timeout: float | None = None) -> Any:
        """The answer, waiting for it."""

    def add_done_callback(self, fn: Callable[[Any], object]) -> None:
        """Call ``fn(self)`` once answered (at once when it is)."""


class Answered:
    """A source's answer once read."""

    __slots__ = ("_answer",)

    def __init__(self, answer: Any) -> None:
        self._answer = answer

    def result(self, timeout: float | None = None) -> Any:
        """The answer (never waits)."""
        return self._answer

    def add_done_callback(self, fn: Callable[[Any], object]) -> None:
        """Call ``fn(self)`` now: the answer is in."""
        fn(self)


class Reading:
    """A source being read, with the part of a ``Future``'s interface the reads use; it waits
    on its ``Sources``' condition. Answered, it leaves its place to an ``Answered``."""

    __slots__ = ("_callbacks", "_done", "_failed", "_key", "_outcome", "_sources")

    def __init__(self, sources: Sources, key: Hashable) -> None:
        self._sources = sources
        self._key = key
        self._done = False
        self._failed = False
        self._outcome: Any = None
        self._callbacks: list[Callable[[Any], object]] = []

    def done(self) -> bool:
        """True once answered (or failed)."""
        return self._done

    def result(self, timeout: float | None = None) -> Any:
        """The answer, waiting for it; what the read raised, raised again."""
        with self._sources.condition:
            if not self._sources.condition.wait_for(self.done, timeout):
                raise TimeoutError(f"{self._key} not read in {timeout} s")
        if self._failed:
            raise self._outcome
        return self._outcome

    def set_result(self, answer: Any) -> None:
        """Answer the source: its waiters wake, its callbacks run, its entry becomes the answer."""
        self._settle(answer, failed=False)

    def set_exception(self, exc: BaseException) -> None:
        """Fail the source with ``exc`` (its entry stays: it is raised to whoever asks)."""
        self._settle(exc, failed=True)

    def add_done_callback(self, fn: Callable[[Any], object]) -> None:
        """Call ``fn(self)`` once answered (at once when it is)."""
        with self._sources.condition:
            if not self._done:
                self._callbacks.append(fn)
                return
        fn(self)

    def _settle(self, outcome: Any, *, failed: bool) -> None:
        with self._sources.condition:
            if self._done:
                raise InvalidStateError(f"{self._key} is already answered")
            self._done, self._failed, self._outcome = True, failed, outcome
            if not failed:
                self._sources.answered(self._key, outcome)
            callbacks, self._callbacks = self._callbacks, []
            self._sources.condition.notify_all()
        for fn in callbacks:
            try:
                fn(self)
            except Exception:  # as a Future does: one callback's failure is logged, not raised
                log.exception("a callback of %s failed", self._key)


def value(future: Answer) -> Any:
    """The answer ``future`` holds (waiting for it); ``Unread`` raised when it could not be read."""
    found = future.result()
    if isinstance(found, Unread):
        raise found
    return found


class Sources:
    """Sources keyed, shared by every thread that asks (a condition guards them).

    ``executor`` None reads every source in the thread that asks, one after the other
    (``verify --recompute`` from recorded answers).
    """

    def __init__(self, executor: Executor | None) -> None:
        self._executor = executor
        self.condition = threading.Condition(threading.Lock())
        self._futures: dict[Hashable, Answer] = {}
        self._queued: deque[tuple[Callable[[Reading], None], Reading]] = deque()
        self._readers = 0

    def once(self, key: tuple[str, ...], read: Callable[[], Any], *, here: bool = False) -> Answer:
        """The answer of ``read()``, started the first time ``key`` is asked; ``here`` reads in
        this thread (a chain's next step) rather than on the executor."""

        def fill(future: Reading) -> None:
            try:
                future.set_result(read())
            except READ_ERRORS as exc:
                future.set_result(Unread(f"{' '.join(key)} ({error_code(exc)})", error_code(exc)))
            except Unread as exc:  # a source this one is made of could not be read
                future.set_result(exc)

        return self.started(key, fill, here=here)

    def started(
        self, key: Hashable, start: Callable[[Reading], None], *, here: bool = False
    ) -> Answer:
        """The answer of ``key``; the first time, ``start(reading)`` is run to fill it (it may
        hand the work on: a path walk fills its reading from the last answer's callback)."""
        with self.condition:
            known = self._futures.get(key)
            if known is not None:
                return known
            future = Reading(self, key)
            self._futures[key] = future
            if not here and self._executor is not None:
                self._queued.append((start, future))
                if self._readers >= _READERS:
                    return future
                self._readers += 1
        if here or self._executor is None:
            _guarded(start, future)
        else:
            self._executor.submit(self._read_queued)
        return future

    def answered(self, key: Hashable, answer: Any) -> None:
        """Keep ``key``'s answer without its reading (the caller holds ``condition``)."""
        self._futures[key] = Answered(answer)

    def _read_queued(self) -> None:
        """On the executor: start the queued reads one after the other until none is left."""
        while True:
            with self.condition:
                if not self._queued:
                    self._readers -= 1
                    return
                start, future = self._queued.popleft()
            _guarded(start, future)


def _guarded(start: Callable[[Reading], None], future: Reading) -> None:
    """``start(future)``; anything it raises goes into the future, so nobody waits forever."""
    try:
        start(future)
    except BaseException as exc:  # carried to the waiter, as a pool's future would be
        if not future.done():
            future.set_exception(exc)
        if not isinstance(exc, Exception):
            raise
