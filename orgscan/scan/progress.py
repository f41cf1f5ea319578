"""A scan as it happens: counts for a progress display, and the run's story in the log.

The coordinator reports what finished (an account prepared, a region's trails listed, a bucket
read); ``ScanStory`` turns that into one INFO line per account when its last region is in
(role assumed or why not, regions, trails found, time taken) and one per bucket read, and hands
a ``ScanProgress`` to whoever displays progress. Every method but ``started`` is called from the
coordinating thread only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanProgress:
    """How far a scan is: accounts done of those planned, regions and buckets read so far."""

    accounts_planned: int
    accounts_done: int
    regions_read: int
    buckets_read: int
    elapsed_s: float

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the pace so far; None until an account is done."""
        if not self.accounts_done:
            return None
        left = self.accounts_planned - self.accounts_done
        return self.elapsed_s / self.accounts_done * left


ProgressListener = Callable[[ScanProgress], None]


@dataclass
class _Account:
    started: float | None = None
    assumed: str = ""
    regions_planned: int | None = None
    regions_read: int = 0
    regions_failed: int = 0
    trails: int = 0
    done: bool = False


class ScanStory:
    """Follows the accounts of one scan; logs each as it completes; feeds a progress listener."""

    def __init__(
        self,
        accounts: Iterable[str],
        listener: ProgressListener | None = None,
        *,
        caller_account_id: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._accounts = {account_id: _Account() for account_id in accounts}
        self._listener = listener
        self._caller = caller_account_id
        self._clock = clock
        self._began = clock()
        self.accounts_done = 0
        self.regions_read = 0
        self.buckets_read = 0

    def started(self, account_id: str) -> None:
        """An account's first unit began (called from a worker thread: one assignment)."""
        account = self._accounts.get(account_id)
        if account is not None and account.started is None:
            account.started = self._clock()

    def prepared(
        self, account_id: str, *, regions: int | None, assume_error: str | None = None
    ) -> None:
        """The role was assumed (or not: ``assume_error``) and ``regions`` are to be read."""
        account = self._accounts.setdefault(account_id, _Account())
        if assume_error is not None:
            account.assumed = f"role not assumed ({assume_error})"
            self._finish(account_id, account)
            return
        account.assumed = (
            "caller's own credentials" if account_id == self._caller else "role assumed"
        )
        account.regions_planned = regions or 0
        if not regions:
            self._finish(account_id, account)

    def region_read(self, account_id: str, *, trails: int, failed: bool) -> None:
        """One region's trails were listed (or the listing failed)."""
        self.regions_read += 1
        account = self._accounts.get(account_id)
        if account is None or account.done:
            return
        account.regions_read += 1
        account.regions_failed += failed
        account.trails += trails
        if account.regions_planned is not None and account.regions_read >= account.regions_planned:
            self._finish(account_id, account)

    def bucket_read(self, bucket: str, owner: str | None, outcome: str) -> None:
        """A trail bucket was read; ``outcome`` is ``read`` or the error code."""
        self.buckets_read += 1
        log.info("bucket %s (owner %s): %s", bucket, owner or "unknown", outcome)

    def progress(self) -> ScanProgress:
        """The counts so far."""
        return ScanProgress(
            accounts_planned=len(self._accounts),
            accounts_done=self.accounts_done,
            regions_read=self.regions_read,
            buckets_read=self.buckets_read,
            elapsed_s=self._clock() - self._began,
        )

    def tick(self) -> None:
        """Tell the listener (if any) the counts so far."""
        if self._listener is not None:
            self._listener(self.progress())

    def _finish(self, account_id: str, account: _Account) -> None:
        account.done = True
        self.accounts_done += 1
        took = self._clock() - (account.started if account.started is not None else self._began)
        if account.regions_planned is None:
            log.info("account %s: %s; not scanned (%.1f s)", account_id, account.assumed, took)
            return
        failed = f", {account.regions_failed} failed" if account.regions_failed else ""
        log.info(
            "account %s: %s; %d regions read%s; %d trails found (%.1f s)",
            account_id,
            account.assumed,
            account.regions_read,
            failed,
            account.trails,
            took,
        )
