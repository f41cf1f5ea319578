"""The watch: events read from a queue, coalesced, rescanned, then deleted.

A batch of messages becomes one incremental run of the accounts its events touch. Messages are
deleted only once that run is sealed and ``latest`` names it (at least once: a crash before
then leaves them on the queue, and the same events give the same folder again). A message
whose event is unreadable or cannot weaken protection, or that names no account the base run
knows, is logged and left: the queue's redrive policy moves it to the dead-letter queue. A
rescan that fails (AWS unavailable, the folder not written) leaves every message of its batch.

The log tells each event in one line: the event, where and what it named, the accounts
rescanned, and the run folder with those accounts' verdicts (or why nothing was done).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from orgscan.errors import (
    AwsUnavailableError,
    EvidenceWriteError,
    InputError,
    ScanNotStarted,
    UntrustedRunError,
)
from orgscan.model import ScanResult
from orgscan.watch.events import EventScope, Rejected, parse_event
from orgscan.watch.incremental import Rescanner, base_run
from orgscan.watch.scope import accounts_touched, rescan_for

log = logging.getLogger(__name__)

#: SQS's longest long poll, and its largest batch.
MAX_WAIT_SECONDS = 20
MAX_BATCH = 10
# What stops one rescan but not the watch: the messages stay and come back.
_RESCAN_FAILURES = (
    AwsUnavailableError,
    ScanNotStarted,
    EvidenceWriteError,
    UntrustedRunError,
    InputError,
)


@dataclass(frozen=True)
class Message:
    """One queue message: its id, the handle that deletes it, and its body."""

    message_id: str
    receipt: str
    body: str


class Queue(Protocol):
    """Where events come from: long-polled, deleted once acted on."""

    def receive(self, wait_seconds: int) -> list[Message]:
        """Up to ten messages, waiting at most ``wait_seconds`` for the first."""

    def delete(self, messages: Sequence[Message]) -> None:
        """Delete ``messages`` (they were acted on)."""


class SqsQueue:
    """An SQS queue read through a boto3 client."""

    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def receive(self, wait_seconds: int) -> list[Message]:
        """Up to ten messages, long-polling at most ``wait_seconds``."""
        reply = self._client.receive_message(
            QueueUrl=self._url, MaxNumberOfMessages=MAX_BATCH, WaitTimeSeconds=wait_seconds
        )
        return [
            Message(item["MessageId"], item["ReceiptHandle"], item.get("Body", ""))
            for item in reply.get("Messages", [])
        ]

    def delete(self, messages: Sequence[Message]) -> None:
        """Delete ``messages``, ten a call; one that could not be deleted is logged (it comes
        back, and its rescan gives the same folder again)."""
        for start in range(0, len(messages), MAX_BATCH):
            chunk = messages[start : start + MAX_BATCH]
            reply = self._client.delete_message_batch(
                QueueUrl=self._url,
                Entries=[{"Id": str(n), "ReceiptHandle": m.receipt} for n, m in enumerate(chunk)],
            )
            for failed in reply.get("Failed", []):
                log.warning("message not deleted (%s): it will be read again", failed.get("Code"))


@dataclass(frozen=True)
class BatchOutcome:
    """What became of a batch: the run written (None when none was), the messages acted on
    (to delete), those left on the queue, and the rescan's failure if it failed."""

    run_dir: Path | None
    done: tuple[Message, ...]
    left: tuple[Message, ...]
    failure: str | None = None


def handle_batch(
    messages: Sequence[Message], rescanner: Rescanner, say: Callable[[str], None]
) -> BatchOutcome:
    """Map every message's event to its scope, rescan the accounts they touch as one
    incremental run, and say one line per event. Deletes nothing."""
    scoped: list[tuple[Message, EventScope]] = []
    left: list[Message] = []
    for message in messages:
        scope = parse_event(message.body)
        if isinstance(scope, Rejected):
            _say(
                say,
                f"event {message.message_id}: {scope.kind.value}: {scope.reason}; left "
                "for the dead-letter queue",
            )
            left.append(message)
        else:
            scoped.append((message, scope))
    if not scoped:
        return BatchOutcome(None, (), tuple(left))
    try:
        base_dir, base = base_run(rescanner.settings.output_dir)
        rescan = rescan_for((scope for _, scope in scoped), base)
        if not rescan.accounts:
            for _, scope in scoped:
                _say(
                    say,
                    f"{scope.describe()} -> no account of the organization; left for "
                    "the dead-letter queue",
                )
            return BatchOutcome(None, (), (*left, *(m for m, _ in scoped)))
        outcome = rescanner.rescan(rescan.accounts, base_dir, base)
    except _RESCAN_FAILURES as exc:
        for _, scope in scoped:
            _say(say, f"{scope.describe()} -> not rescanned: {exc}; left on the queue")
        return BatchOutcome(None, (), (*left, *(m for m, _ in scoped)), failure=str(exc))
    done: list[Message] = []
    for message, scope in scoped:
        touched = accounts_touched(scope, base) & rescan.accounts
        if not touched:
            _say(say, f"{scope.describe()} -> no account of the organization; left")
            left.append(message)
            continue
        _say(
            say,
            f"{scope.describe()} -> rescanned {', '.join(sorted(touched))} -> run "
            f"{outcome.run_dir.name}: {_verdicts(outcome.result, touched)}",
        )
        done.append(message)
    return BatchOutcome(outcome.run_dir, tuple(done), tuple(left))


@dataclass(frozen=True)
class WatchSummary:
    """What a watch did until it stopped: runs written, messages deleted and left, rescans
    that failed."""

    runs: tuple[Path, ...]
    deleted: int
    left: int
    failures: int


class Watcher:
    """Reads ``queue``, coalesces its events over ``debounce`` seconds, rescans, deletes."""

    def __init__(
        self,
        queue: Queue,
        rescanner: Rescanner,
        *,
        say: Callable[[str], None] = lambda line: None,
        wait_seconds: int = MAX_WAIT_SECONDS,
        debounce: float = 0.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._queue = queue
        self._rescanner = rescanner
        self._say = say
        self._wait = wait_seconds
        self._debounce = debounce
        self._monotonic = monotonic

    def run(self, stop: threading.Event, *, once: bool = False) -> WatchSummary:
        """Watch until ``stop`` is set (after the current run folder is sealed); with
        ``once``, drain the queue and return (at once when it is empty after one wait)."""
        runs: list[Path] = []
        deleted = left = failures = 0
        while not stop.is_set():
            batch = self._collect(stop, once=once)
            if not batch:
                if once:
                    break
                continue
            outcome = handle_batch(batch, self._rescanner, self._say)
            if outcome.done:
                # Only now: the folder is sealed and latest names it.
                self._queue.delete(outcome.done)
            deleted += len(outcome.done)
            left += len(outcome.left)
            failures += outcome.failure is not None
            if outcome.run_dir is not None:
                runs.append(outcome.run_dir)
            if once:
                break
        return WatchSummary(tuple(runs), deleted, left, failures)

    def _collect(self, stop: threading.Event, *, once: bool) -> list[Message]:
        """The messages of one batch: the first long poll, then, with ``once``, every message
        until the queue answers empty, or else every message until the debounce window that
        the first one opened closes."""
        batch = self._queue.receive(self._wait)
        if not batch:
            return []
        closes = self._monotonic() + self._debounce
        seen = {message.message_id for message in batch}
        while not stop.is_set():
            remaining = closes - self._monotonic()
            if not once and remaining <= 0:
                break
            wait = 1 if once else min(self._wait, max(1, math.ceil(remaining)))
            more = [m for m in self._queue.receive(wait) if m.message_id not in seen]
            if not more and once:
                # Drained: a message left earlier that is visible again is not news.
                break
            seen.update(message.message_id for message in more)
            batch.extend(more)
        return batch


def _verdicts(result: ScanResult, accounts: frozenset[str]) -> str:
    """The verdicts of ``accounts`` in ``result``: ``111111111111 NOT_RECORDED``."""
    by_id = {account.account_id: account for account in result.accounts}
    parts = []
    for account_id in sorted(accounts):
        account = by_id.get(account_id)
        code = account.verdict_code if account is not None else None
        parts.append(f"{account_id} {code.value if code is not None else 'not scanned'}")
    return ", ".join(parts)


def _say(say: Callable[[str], None], line: str) -> None:
    log.info("%s", line)
    say(line)
