"""The demo organization's integrity cases (contract 5.2): each check fails once, and passes
everywhere else, so the page, the workbook and the exports show every check failing."""

from __future__ import annotations

from dataclasses import replace

from orgscan.simulate.build_integrity import KeySpec
from orgscan.simulate.spec import AccountSpec

#: Each integrity check fails once (contract 5.2); everywhere else it passes: every trail
#: validates its log files, every account blocks public access.
_PUBLIC_BUCKET = "payments-prod"  # its (unlocked) bucket's policy lets anyone read
_NO_VALIDATION = "legacy-prod"  # log file validation off, required by the demo's policy
_EXPIRING = ("orders-prod", 30)  # a lifecycle rule deletes log files after 30 days
_KEYS = {  # a disabled key, and a key that rotates
    "analytics-prod": KeySpec("analytics-prod-trail-key", state="Disabled"),
    "audit-prod": KeySpec("audit-prod-trail-key"),
}


def with_integrity(account: AccountSpec) -> AccountSpec:
    """``account`` with the demo's integrity cases: one failure per check."""
    buckets = tuple(
        replace(
            bucket,
            public=account.name == _PUBLIC_BUCKET,
            lifecycle_days=_EXPIRING[1] if account.name == _EXPIRING[0] else None,
        )
        for bucket in account.buckets
    )
    trails = tuple(
        replace(
            trail,
            log_file_validation=account.name != _NO_VALIDATION,
            kms_key=_KEYS.get(account.name),
        )
        for trail in account.trails
    )
    return replace(
        account,
        buckets=buckets,
        trails=trails,
        block_public_access=account.name != _PUBLIC_BUCKET and account.in_organization,
    )
