"""A row of ``weakeners[]`` (contract 5.3): who can weaken a trail's protection, and how.

Plain data with no dependency inside orgscan, so the model, the evaluator and the reports can
all hold it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import StrEnum


class TargetKind(StrEnum):
    """What a weakening action acts on."""

    BUCKET = "bucket"
    TRAIL = "trail"
    KEY = "key"


@dataclass(frozen=True, slots=True)
class Weakener:
    """One ``weakeners[]`` row of findings.json, fields in the contract's order.

    ``granted_by`` names the statement that allows it (``<policy ARN, bucket-policy or
    key-policy>#<Sid or index>``, ``root`` for an account's root user in its own account);
    ``blocked_by`` the SCP or RCP statement that stops it, if any.
    """

    trail_arn: str
    target: TargetKind
    target_arn: str
    action: str
    principal_arn: str
    principal_account_id: str
    granted_by: str
    conditional: bool
    blocked_by: str | None
    break_glass: bool
    management_account: bool

    def to_dict(self) -> dict[str, object]:
        """The row as findings.json holds it."""
        return {
            "trail_arn": self.trail_arn,
            "target": self.target.value,
            "target_arn": self.target_arn,
            "action": self.action,
            "principal_arn": self.principal_arn,
            "principal_account_id": self.principal_account_id,
            "granted_by": self.granted_by,
            "conditional": self.conditional,
            "blocked_by": self.blocked_by,
            "break_glass": self.break_glass,
            "management_account": self.management_account,
        }

    @property
    def is_open(self) -> bool:
        """True for a row that weakens protection as things stand: unblocked, not break-glass."""
        return self.blocked_by is None and not self.break_glass


_TEXT = ("trail_arn", "target_arn", "action", "principal_arn", "principal_account_id", "granted_by")
_FLAGS = ("conditional", "break_glass", "management_account")


def weakener_from_dict(raw: object, where: str) -> Weakener:
    """A ``weakeners[]`` row read back from findings.json; ValueError naming what is wrong.

    Its texts are interned: rows repeat the same trails, principals, actions and statements,
    and a large run has hundreds of thousands of rows, each text of which JSON decodes anew.
    """
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: must be an object")
    for key in _TEXT:
        if not isinstance(raw.get(key), str):
            raise ValueError(f"{where}.{key}: must be a string")
    for key in _FLAGS:
        if not isinstance(raw.get(key), bool):
            raise ValueError(f"{where}.{key}: must be true or false")
    blocked = raw.get("blocked_by")
    if blocked is not None and not isinstance(blocked, str):
        raise ValueError(f"{where}.blocked_by: must be a string or null")
    try:
        target = TargetKind(str(raw.get("target")))
    except ValueError:
        raise ValueError(f"{where}.target: must be bucket, trail or key") from None
    text = sys.intern
    return Weakener(
        trail_arn=text(raw["trail_arn"]),
        target=target,
        target_arn=text(raw["target_arn"]),
        action=text(raw["action"]),
        principal_arn=text(raw["principal_arn"]),
        principal_account_id=text(raw["principal_account_id"]),
        granted_by=text(raw["granted_by"]),
        conditional=raw["conditional"],
        blocked_by=text(blocked) if blocked is not None else None,
        break_glass=raw["break_glass"],
        management_account=raw["management_account"],
    )
