"""The run's recorded scope and command line, in words for the people reading a report."""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from orgscan.model import RunScope


def scope_text(scope: RunScope | None) -> str:
    """The scope in one line for people: ``accounts: all; regions: all enabled; ...``."""
    if scope is None:
        return "(not recorded)"
    parts = [
        f"accounts: {', '.join(scope.accounts) if scope.accounts is not None else 'all'}"
        + ("" if scope.org else " (caller's account only, --no-org)"),
        f"regions: {', '.join(scope.regions) if scope.regions is not None else 'all enabled'}",
        f"role: {scope.role_name}",
    ]
    if scope.exclude_accounts:
        parts.insert(1, f"excluded: {', '.join(scope.exclude_accounts)}")
    if scope.ous:
        parts.insert(1, f"OUs: {', '.join(scope.ous)}")
    return "; ".join(parts)


def command_text(command: Sequence[str]) -> str:
    """The recorded command line, quoted as a shell would need it."""
    return shlex.join(command) if command else "(not recorded)"
