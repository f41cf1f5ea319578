"""Executors for the scan's fan-out: a thread pool, or the main thread for debugging."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class MainThreadExecutor(Executor):
    """Runs each task at once in the calling thread: breakpoints and tracebacks just work."""

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Run ``fn`` now and return its already-completed future."""
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - the future carries it, as a pool's would
            future.set_exception(exc)
        return future


def make_executor(workers: int, serial: bool) -> Executor:
    """A pool of ``workers`` threads, or a ``MainThreadExecutor`` when ``serial``."""
    if serial:
        return MainThreadExecutor()
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="orgscan")


def shutdown(executor: Executor, *, interrupted: bool) -> None:
    """Stop the executor; after an interruption, drop queued work instead of waiting for it."""
    kwargs: dict[str, Any] = {"wait": not interrupted, "cancel_futures": interrupted}
    executor.shutdown(**kwargs)
