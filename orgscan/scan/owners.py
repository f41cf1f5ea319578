"""The search for the owners of buckets that no scanned account owns.

A trail may deliver to a bucket of an account outside the scan (a central log archive). Once
every scanned account has listed its own buckets, such a bucket is first probed — read with its
trails' credentials, because it may simply be gone — and the organization's other accounts
are listed, likely log archives first, a batch at a time, until its owner turns up. This
class only keeps the search's state and decides; the coordinator submits the work.
"""

from __future__ import annotations

from collections.abc import Iterable

from orgscan.facts import Account
from orgscan.model import AccountState
from orgscan.scan.planning import ScanPlan

# Names that suggest a central log archive: those accounts are searched first for a bucket.
_ARCHIVE_HINTS = ("log", "archive", "audit", "security")


def search_order(accounts: Iterable[Account]) -> list[str]:
    """Account ids, likely log archives first, then by id."""

    def likely_archive_first(account: Account) -> tuple[bool, str]:
        name = (account.name or "").lower()
        return (not any(hint in name for hint in _ARCHIVE_HINTS), account.account_id)

    return [account.account_id for account in sorted(accounts, key=likely_archive_first)]


class OwnerSearch:
    """Where the search stands: accounts left to list, buckets probed, listings still out."""

    def __init__(self, plan: ScanPlan, scannable: int) -> None:
        self.other_accounts = search_order(
            a
            for a in plan.organization.accounts
            if a.account_id not in plan.in_scope and a.state == AccountState.ACTIVE
        )
        self.probed: set[str] = set()  # unowned buckets read before the search for an owner
        self.probing: set[str] = set()  # those whose read is still out
        # Until all three are 0 a bucket nobody has listed yet may still turn out to be owned.
        self.unprepared = scannable
        self.own_listings = 0  # bucket listings of scanned accounts not finished
        self.searching = 0  # bucket listings of other accounts not finished

    def may_start(self) -> bool:
        """True once every scanned account has listed its buckets and accounts are left."""
        return bool(self.other_accounts) and not self.unprepared and not self.own_listings

    def to_probe(self, unowned: list[str]) -> list[str]:
        """The buckets of ``unowned`` not probed yet, now marked as being probed."""
        fresh = [bucket for bucket in unowned if bucket not in self.probed]
        self.probed.update(fresh)
        self.probing.update(fresh)
        return fresh

    def probe_done(self, bucket: str) -> None:
        """The probe of ``bucket`` came back."""
        self.probing.discard(bucket)

    def next_batch(self, size: int) -> list[str]:
        """The next accounts to list (at least one), now counted as being listed."""
        batch = self.other_accounts[: max(1, size)]
        del self.other_accounts[: len(batch)]
        self.searching += len(batch)
        return batch
