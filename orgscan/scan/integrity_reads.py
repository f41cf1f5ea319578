"""The integrity reads beyond the bucket (contract 5.2): each KMS key once, by its owner in its
region, and each bucket owner's account-level Block Public Access once.

``IntegrityLedger`` says what to read the first time a key or an owner is met and keeps the
answers; the units are plain functions, run on the scan's executor like the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from orgscan.aws.sessions import AssumeRoleError, SessionFactory
from orgscan.collect.integrity import key_owner, read_account_block, read_key
from orgscan.error_codes import ACCESS_DENIED_CODES
from orgscan.facts import AccountBlock, AwsError, KeyFacts
from orgscan.integrity import IntegrityReads

#: Refusals after which the next account is tried; KMS says AccessDeniedException.
KEY_REFUSED = ACCESS_DENIED_CODES | {"AccessDeniedException"}


def key_readers(key_arn: str, trail_accounts: tuple[str, ...]) -> tuple[str, ...]:
    """The accounts that read a key, in order: the key's owner (named in its ARN), then the
    accounts of the trails that use it (a key policy may let them read it)."""
    owner = key_owner(key_arn)
    return tuple(dict.fromkeys(([owner[0]] if owner else []) + list(trail_accounts)))


def read_key_unit(sessions: SessionFactory, key_arn: str, readers: tuple[str, ...]) -> KeyFacts:
    """The key read with the first of ``readers`` whose role can be assumed and that is not
    refused, in the key's region."""
    where = key_owner(key_arn)
    if where is None:
        return KeyFacts(key_arn, None, None, AwsError("InvalidKeyArn", "not a KMS key ARN"))
    facts = KeyFacts(key_arn, None, None, AwsError("AccessDenied", "no account could read it"))
    for account_id in readers:
        try:
            client = sessions.client(account_id, "kms", where[1])
        except AssumeRoleError as exc:
            facts = KeyFacts(key_arn, None, None, AwsError(exc.error_code, exc.message))
            continue
        facts = read_key(client, key_arn)
        if facts.error is None or facts.error.code not in KEY_REFUSED:  # refused: try the next
            return facts
    return facts


def read_block_unit(sessions: SessionFactory, account_id: str) -> AccountBlock:
    """The account's own Block Public Access, read as the account."""
    try:
        client = sessions.client(account_id, "s3control", sessions.default_region)
    except AssumeRoleError as exc:
        return AccountBlock(account_id, None, AwsError(exc.error_code, exc.message))
    return read_account_block(client, account_id)


@dataclass
class IntegrityLedger:
    """The keys and owners asked for, and what their reads answered. Only the coordinator's
    thread writes to it."""

    keys: dict[str, KeyFacts] = field(default_factory=dict)
    blocks: dict[str, AccountBlock] = field(default_factory=dict)
    keys_asked: set[str] = field(default_factory=set)
    blocks_asked: set[str] = field(default_factory=set)

    def new_key(self, key_arn: str | None) -> bool:
        """True the first time ``key_arn`` (a trail's key) is met: read it now."""
        if not key_arn or key_arn in self.keys_asked:
            return False
        self.keys_asked.add(key_arn)
        return True

    def new_owner(self, account_id: str | None) -> bool:
        """True the first time a bucket owner is met: read its account's block now."""
        if not account_id or account_id in self.blocks_asked:
            return False
        self.blocks_asked.add(account_id)
        return True

    def on_key(self, key_arn: str) -> Callable[[KeyFacts | AwsError], None]:
        """The handler of a key read; an unexpected failure is the key unread."""

        def handle(outcome: KeyFacts | AwsError) -> None:
            if isinstance(outcome, AwsError):
                outcome = KeyFacts(key_arn, None, None, outcome)
            self.keys[key_arn] = outcome

        return handle

    def on_block(self, account_id: str) -> Callable[[AccountBlock | AwsError], None]:
        """The handler of an account's block read."""

        def handle(outcome: AccountBlock | AwsError) -> None:
            if isinstance(outcome, AwsError):
                outcome = AccountBlock(account_id, None, outcome)
            self.blocks[account_id] = outcome

        return handle

    def reads(self) -> IntegrityReads:
        """What was read, for the findings."""
        return IntegrityReads(dict(self.keys), dict(self.blocks))
