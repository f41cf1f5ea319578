"""Which accounts a batch of events makes orgscan scan again, from what the base run knows.

An event names its own account and the trail, bucket or key it changed; the base run knows who
owns that bucket and which trails deliver to it (or encrypt with that key). Every one of those
accounts is rescanned: the trails' findings and their accounts' verdicts are what changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from orgscan.model import ScanResult
from orgscan.watch.events import EventScope, Target, arn_account

# The account this event names has left the organization: it cannot be scanned, and the
# organization's listing (read by any rescan) drops it from the run.
_LEFT = "RemoveAccountFromOrganization"


@dataclass(frozen=True)
class Rescan:
    """The accounts to scan again, and those named that the base run does not know (outside
    the organization, or new to it): logged, not scanned."""

    accounts: frozenset[str]
    unknown: frozenset[str]


def accounts_touched(scope: EventScope, base: ScanResult) -> frozenset[str]:
    """The accounts whose findings or verdicts ``scope``'s event can change."""
    touched = {scope.account_id}
    if scope.target is Target.TRAIL and scope.trail is not None:
        touched.add(arn_account(scope.trail) or scope.account_id)
    elif scope.target is Target.BUCKET and scope.bucket is not None:
        for finding in base.findings:
            if finding.bucket_name == scope.bucket:
                touched.add(finding.account_id)
                if finding.bucket_account_id is not None:
                    touched.add(finding.bucket_account_id)
    elif scope.target is Target.KEY and scope.key is not None:
        touched.add(arn_account(scope.key) or scope.account_id)
        for finding in base.findings:
            # Findings name their trail's key from contract v3 on; an older base run names
            # none, and the key's owner is rescanned alone.
            if scope.key in _key_names(getattr(finding, "kms_key_arn", None)):
                touched.add(finding.account_id)
    elif scope.named_account is not None and scope.event_name != _LEFT:
        touched.add(scope.named_account)
    return frozenset(touched)


def rescan_for(scopes: Iterable[EventScope], base: ScanResult) -> Rescan:
    """The accounts to rescan for ``scopes``, split into those the base run knows and not."""
    known = {account.account_id for account in base.accounts}
    touched: set[str] = set()
    for scope in scopes:
        touched |= accounts_touched(scope, base)
    return Rescan(frozenset(touched & known), frozenset(touched - known))


def _key_names(arn: object) -> tuple[str, ...]:
    """The ways an event can name the key ``arn``: its ARN and its id."""
    if not isinstance(arn, str):
        return ()
    return (arn, arn.rsplit("/", 1)[-1])
