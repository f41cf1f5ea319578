"""Times as AWS answers them (datetimes from boto3, ISO text from recorded evidence, the
inventory's CSV text), read one way and written one way."""

from __future__ import annotations

from datetime import UTC, datetime


def moment(value: object) -> datetime | None:
    """``value`` as an aware UTC datetime; None when it is absent or not a time."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    return None


def iso(value: datetime) -> str:
    """``value`` as findings.json writes times: UTC, to the second (``2026-11-27T09:04:11Z``)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def protected(mode: object, retain_until: object, started: datetime) -> bool:
    """A version is protected when it has a retention mode and a retain-until date that has
    not passed when the scan started (a passed date protects nothing any more)."""
    until = moment(retain_until)
    return bool(mode) and until is not None and until > started
