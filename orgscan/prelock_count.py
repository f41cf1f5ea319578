"""``prelock``: a PASS bucket's log files written before its lock (contract 5.4), as data.

Object Lock's default retention applies only to objects written after it was set: a bucket
locked in place keeps every earlier log file without retention. The count lives here, beside
the model that holds it; ``orgscan.prelock`` measures it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

#: Object versions a sample reads by default (``prelock_sample_size``), and at most.
DEFAULT_SAMPLE_SIZE = 8
MAX_SAMPLE_SIZE = 1000


class PrelockSource(StrEnum):
    """Where a count comes from: an S3 Inventory report (every version), or a sample."""

    INVENTORY = "inventory"
    SAMPLE = "sample"


@dataclass(frozen=True, slots=True)
class Prelock:
    """How many of the log file versions looked at are unprotected, and since when.

    ``checked`` versions were looked at under ``prefixes``; ``unprotected`` of them have no
    retention, or one that ended before the scan started. Times are ISO-8601 UTC. ``error``
    names the AWS error that stopped the count: what was counted before it is kept, but a
    count cut short proves nothing."""

    source: PrelockSource
    checked: int
    unprotected: int
    oldest_unprotected: str | None
    #: The creation of the oldest version found protected: the lock was set no later.
    oldest_protected: str | None = None
    prefixes: tuple[str, ...] = ()
    error: str | None = None

    @property
    def verdict(self) -> str:
        """``WARN`` when unprotected files were found, ``ERROR`` when the count failed before
        finding any, else ``PASS`` (none in what was checked). With ``sentence`` as its detail,
        this is the ``PRELOCK`` entry of a finding's integrity checks (contract 5.2)."""
        if self.unprotected:
            return "WARN"
        return "ERROR" if self.error is not None else "PASS"

    def to_dict(self) -> dict[str, object]:
        """``prelock`` as ``findings.json`` holds it (``error`` only when set)."""
        row: dict[str, object] = {
            "source": self.source.value,
            "checked": self.checked,
            "unprotected": self.unprotected,
            "oldest_unprotected": self.oldest_unprotected,
            "oldest_protected": self.oldest_protected,
            "prefixes": list(self.prefixes),
        }
        if self.error is not None:
            row["error"] = self.error
        return row

    def sentence(self) -> str:
        """What the count can say, in one sentence; a sample never says "none"."""
        if not self.checked and self.error is None:
            where = ", ".join(self.prefixes) or "the bucket"
            return f"No log file was found under {where}: there was nothing to count."
        if self.source is PrelockSource.INVENTORY:
            said = (
                f"{self.unprotected} of {self.checked} log files in the latest S3 Inventory "
                "report have no retention in force"
            )
        else:
            said = (
                f"{self.unprotected} of {self.checked} sampled log files have no retention in force"
            )
            if not self.unprotected:
                said += " (a sample: not proof that none are unprotected)"
        if self.oldest_unprotected is not None:
            said += f"; the oldest was written {self.oldest_unprotected}"
        if self.error is not None:
            said += f"; the count stopped at an AWS error ({self.error})"
        return said + "."


def prelock_from_dict(raw: object, where: str, error: type[Exception]) -> Prelock | None:
    """``prelock`` as ``findings.json`` holds it (null or absent: None); ``error`` naming
    ``where`` and what is wrong otherwise. Runs from before contract 5.4 have none."""
    try:
        return _from_dict(raw)
    except ValueError as exc:
        raise error(f"{where}: {exc}") from None


def prelock_policy(raw: Mapping[str, Any], error: type[Exception]) -> dict[str, Any]:
    """The ``Policy`` fields of the pre-lock count from ``run.policy``. A run from before
    contract 5.4 counted nothing: ``prelock`` false."""
    enabled = raw.get("prelock", False)
    size = raw.get("prelock_sample_size", DEFAULT_SAMPLE_SIZE)
    if not isinstance(enabled, bool):
        raise error("run.policy: 'prelock' must be true or false")
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_SAMPLE_SIZE:
        raise error(f"run.policy: 'prelock_sample_size' must be a whole number 1-{MAX_SAMPLE_SIZE}")
    return {"prelock": enabled, "prelock_sample_size": size}


def _from_dict(raw: object) -> Prelock | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ValueError("must be an object or null")
    try:
        source = PrelockSource(str(raw.get("source")))
    except ValueError:
        raise ValueError("'source' must be 'inventory' or 'sample'") from None
    checked, unprotected = raw.get("checked"), raw.get("unprotected")
    if not (_count(checked) and _count(unprotected)):
        raise ValueError("'checked' and 'unprotected' must be counts")
    assert isinstance(checked, int)
    assert isinstance(unprotected, int)
    if unprotected > checked:
        raise ValueError("'unprotected' cannot exceed 'checked'")
    texts = {key: raw.get(key) for key in ("oldest_unprotected", "oldest_protected", "error")}
    if not all(value is None or isinstance(value, str) for value in texts.values()):
        raise ValueError("times and 'error' must be strings or null")
    prefixes = raw.get("prefixes", [])
    if not isinstance(prefixes, list) or not all(isinstance(p, str) for p in prefixes):
        raise ValueError("'prefixes' must be a list of strings")
    return Prelock(
        source,
        checked,
        unprotected,
        texts["oldest_unprotected"],
        texts["oldest_protected"],
        tuple(prefixes),
        texts["error"],
    )


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
