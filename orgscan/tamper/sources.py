"""Each tamper-path source read once, on the run's executor: a future per source.

Two trails that rest on the same account's policies wait on one read. A source that cannot be
read is an ``Unread`` value in its future, never an exception: whoever asks gets "could not
tell". A read runs either on the executor or, when it continues a chain (the next ``ListParents``
of a path, a policy named by a listing), in the thread that asks: such a read is then always
running somewhere, so a thread waiting on it never waits on work queued behind itself.

Once a source is answered its future is replaced by the bare answer: a future carries a lock and
a condition (about a kilobyte), and a large organization has hundreds of thousands of sources.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Executor, Future
from functools import partial
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

#: What a read may fail with and still be "could not tell": AWS refusing or not answering, an
#: answer not shaped as expected, or a client that cannot make the call at all (a simulated
#: AWS without it).
READ_ERRORS = (ClientError, BotoCoreError, ValueError, KeyError, TypeError, NotImplementedError)


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
    """A source's answer: a ``Future`` while it is read, an ``Answered`` once it is."""

    def result(self, timeout: float | None = None) -> Any:
        """The answer, waiting for it."""

    def add_done_callback(self, fn: Callable[[Any], object]) -> None:
        """Call ``fn(self)`` once answered (at once when it is)."""


class Answered:
    """A source's answer once read: what its future held, without the future."""

    __slots__ = ("_answer",)

    def __init__(self, answer: Any) -> None:
        self._answer = answer

    def result(self, timeout: float | None = None) -> Any:
        """The answer (never waits)."""
        return self._answer

    def add_done_callback(self, fn: Callable[[Any], object]) -> None:
        """Call ``fn(self)`` now: the answer is in."""
        fn(self)


def value(future: Answer) -> Any:
    """The answer ``future`` holds (waiting for it); ``Unread`` raised when it could not be read."""
    found = future.result()
    if isinstance(found, Unread):
        raise found
    return found


class Sources:
    """Futures keyed by source, shared by every thread that asks (a lock guards the keys).

    ``executor`` None reads every source in the thread that asks, one after the other
    (``verify --recompute`` from recorded answers).
    """

    def __init__(self, executor: Executor | None) -> None:
        self._executor = executor
        self._lock = threading.Lock()
        self._futures: dict[Hashable, Answer] = {}

    def once(self, key: tuple[str, ...], read: Callable[[], Any], *, here: bool = False) -> Answer:
        """The future of ``read()``, started the first time ``key`` is asked; ``here`` reads in
        this thread (a chain's next step) rather than on the executor."""

        def fill(future: Future[Any]) -> None:
            try:
                future.set_result(read())
            except READ_ERRORS as exc:
                future.set_result(Unread(f"{' '.join(key)} ({error_code(exc)})", error_code(exc)))
            except Unread as exc:  # a source this one is made of could not be read
                future.set_result(exc)

        return self.started(key, fill, here=here)

    def started(
        self, key: Hashable, start: Callable[[Future[Any]], None], *, here: bool = False
    ) -> Answer:
        """The future of ``key``; the first time, ``start(future)`` is run to fill it (it may
        hand the work on: a path walk fills its future from the last answer's callback)."""
        with self._lock:
            known = self._futures.get(key)
            if known is not None:
                return known
            future: Future[Any] = Future()
            self._futures[key] = future
        future.add_done_callback(partial(self._answered, key))
        if here or self._executor is None:
            _guarded(start, future)
        else:
            self._executor.submit(_guarded, start, future)
        return future

    def _answered(self, key: Hashable, future: Future[Any]) -> None:
        """Keep ``key``'s answer without its future (one that failed stays as it is)."""
        if future.exception() is None:
            with self._lock:
                self._futures[key] = Answered(future.result())


def _guarded(start: Callable[[Future[Any]], None], future: Future[Any]) -> None:
    """``start(future)``; anything it raises goes into the future, so nobody waits forever."""
    try:
        start(future)
    except BaseException as exc:  # carried to the waiter, as a pool's future would be
        if not future.done():
            future.set_exception(exc)
        if not isinstance(exc, Exception):
            raise
