"""What the benchmark adds to every AWS call: a fixed latency, and a count per operation.

Both are botocore ``before-send`` handlers on the one botocore session a ``SessionFactory`` (or
the naive scan) makes its clients from, so they apply to every client and every retry.
``time.sleep`` releases the GIL, so the latency of calls in flight overlaps across threads, as
real network latency does.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any


class CallRecorder:
    """Counts the requests sent, per ``service.Operation``; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()

    def register(self, session: Any) -> None:
        """Count every request of clients made from the botocore ``session``."""
        session.register("before-send", self._count)

    def _count(self, event_name: str, **_: Any) -> None:
        operation = event_name.split(".", 1)[1]
        with self._lock:
            self.calls[operation] += 1

    def reset(self) -> None:
        """Forget what was counted."""
        with self._lock:
            self.calls.clear()

    @property
    def total(self) -> int:
        """Requests sent so far."""
        return sum(self.calls.values())


def latency_handler(seconds: float) -> Callable[..., None]:
    """A ``before-send`` handler that waits ``seconds`` before every request."""

    def wait(**_: Any) -> None:
        time.sleep(seconds)

    return wait


def instrument(
    session: Any, *, latency_s: float, recorder: CallRecorder, respond: Callable[[Any], None] | None
) -> None:
    """Register latency, counting and (when given) the responder on ``session``, in that order.

    The responder goes last: botocore calls every ``before-send`` handler and sends the first
    response one of them returns, so the latency and the count always happen first.
    """
    if latency_s > 0:
        session.register("before-send", latency_handler(latency_s))
    recorder.register(session)
    if respond is not None:
        respond(session)
