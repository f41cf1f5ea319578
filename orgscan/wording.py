"""Counted nouns in the words the page, the workbook, the terminal and the CLI all print.

``plural(1, "trail")`` is ``1 trail`` and ``plural(2, "trail")`` is ``2 trails``: never
``1 trails`` nor ``trail(s)``.
"""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``count`` and ``noun``, the noun in the plural (``many``, else ``noun + "s"``) unless
    ``count`` is 1."""
    return f"{count} {noun if count == 1 else (many or noun + 's')}"
