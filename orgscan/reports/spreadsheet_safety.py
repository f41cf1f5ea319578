"""Keep AWS-controlled text from becoming a spreadsheet formula (CSV/formula injection)."""

from __future__ import annotations

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: str) -> str:
    """Prefix ``value`` with a quote when a spreadsheet would otherwise evaluate it.

    Account and trail names are free text in AWS; ``=HYPERLINK(...)`` must stay text.
    """
    if value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value
