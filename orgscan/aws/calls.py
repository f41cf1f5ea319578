"""What the AWS calls of a run cost: calls, retries and throttling per service, and at DEBUG
one log line per call (operation, account, region, duration, retries).

Registered on the one botocore session a ``SessionFactory`` makes its clients from, so every
client and every account is counted. The handlers only read what botocore already has (the
parsed reply's ``RetryAttempts`` and error code); no parameter, header or credential is
logged.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from orgscan.error_codes import THROTTLING_CODES

log = logging.getLogger(__name__)

# Where the account a call acts for travels in botocore's request context (set by sessions).
ACCOUNT_CONTEXT_KEY = "orgscan_account"
_STARTED_KEY = "orgscan_started"


@dataclass(frozen=True)
class ServiceCalls:
    """The calls made to one service: sent, retries (extra attempts), attempts throttled,
    and calls that ended in an error."""

    service: str
    calls: int
    retries: int
    throttled: int
    failed: int


class CallStats:
    """Counts every AWS call of a session by service; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._retries: Counter[str] = Counter()
        self._throttled: Counter[str] = Counter()
        self._failed: Counter[str] = Counter()

    def register(self, session: Any) -> None:
        """Observe every call of the clients made from the botocore ``session``."""
        session.register("before-call", self._before_call)
        session.register("after-call", self._after_call)
        session.register("after-call-error", self._after_call_error)
        session.register("needs-retry", self._needs_retry)

    def by_service(self) -> list[ServiceCalls]:
        """One row per service called, by name."""
        with self._lock:
            return [
                ServiceCalls(
                    service,
                    self._calls[service],
                    self._retries[service],
                    self._throttled[service],
                    self._failed[service],
                )
                for service in sorted(self._calls)
            ]

    def log_summary(self) -> None:
        """One INFO line per service: calls, retries, throttled attempts, failures."""
        for row in self.by_service():
            log.info(
                "AWS %s: %d calls, %d retries, %d throttled, %d failed",
                row.service,
                row.calls,
                row.retries,
                row.throttled,
                row.failed,
            )

    # ------------------------------------------------------------------ handlers

    def _before_call(self, context: dict[str, Any], **_: Any) -> None:
        if log.isEnabledFor(logging.DEBUG):
            context[_STARTED_KEY] = time.perf_counter()

    def _after_call(
        self, event_name: str, parsed: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        service = event_name.split(".")[1]
        metadata = parsed.get("ResponseMetadata") or {}
        retries = metadata.get("RetryAttempts") or 0
        error = (parsed.get("Error") or {}).get("Code")
        status = metadata.get("HTTPStatusCode") or 0
        failed = status >= 300 or error is not None
        with self._lock:
            self._calls[service] += 1
            self._retries[service] += retries
            if failed:
                self._failed[service] += 1
        if _STARTED_KEY in context:
            self._debug_line(event_name, context, retries, str(error) if failed else "ok")

    def _after_call_error(
        self, event_name: str, exception: BaseException, context: dict[str, Any], **_: Any
    ) -> None:
        # No reply at all (connection refused, timed out after botocore's own retries).
        service = event_name.split(".")[1]
        with self._lock:
            self._calls[service] += 1
            self._failed[service] += 1
        if _STARTED_KEY in context:
            self._debug_line(event_name, context, None, type(exception).__name__)

    def _needs_retry(self, event_name: str, response: Any = None, **_: Any) -> None:
        # Called after every attempt; only observes (returns None: no say in the decision).
        if not response:
            return
        parsed = response[1] if len(response) > 1 else None
        code = ((parsed or {}).get("Error") or {}).get("Code")
        if code in THROTTLING_CODES:
            with self._lock:
                self._throttled[event_name.split(".")[1]] += 1

    @staticmethod
    def _debug_line(
        event_name: str, context: dict[str, Any], retries: int | None, outcome: str
    ) -> None:
        _, service, operation = event_name.split(".", 2)
        elapsed_ms = (time.perf_counter() - context[_STARTED_KEY]) * 1000
        log.debug(
            "call %s.%s account %s region %s: %s in %.0f ms, %s retries",
            service,
            operation,
            context.get(ACCOUNT_CONTEXT_KEY) or "caller",
            context.get("client_region") or "-",
            outcome,
            elapsed_ms,
            "?" if retries is None else retries,
        )
