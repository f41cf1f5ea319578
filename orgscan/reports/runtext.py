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


#: Readers' labels for the run's recorded parameters, by their ``findings.json`` key.
PARAMETER_LABELS: dict[str, str] = {
    "run_id": "Run id",
    "organization_id": "Organization",
    "started_at": "Scan started (UTC)",
    "finished_at": "Scan finished (UTC)",
    "time_zone": "Time zone",
    "duration_seconds": "Duration (seconds)",
    "tool_version": "Tool version",
    "caller_arn": "Caller",
    "host": "Host",
    "command": "Command",
    "scope.role_name": "Scope: role assumed",
    "scope.accounts": "Scope: accounts",
    "scope.exclude_accounts": "Scope: accounts excluded",
    "scope.ous": "Scope: OUs",
    "scope.regions": "Scope: regions",
    "scope.org": "Scope: whole organization",
    "complete": "Coverage complete",
    "regions": "Region names",
    "region_count": "Regions",
    "policy.require_default_retention": "Policy: default retention required",
    "policy.require_mode": "Policy: required mode",
    "policy.min_retention_days": "Policy: minimum retention (days)",
    "accounts": "Accounts in the organization",
    "findings": "Trails",
    "errors": "Errors",
    "previous_run_folder": "Previous run folder",
    "previous_run_started_at": "Previous run started (UTC)",
}


def parameter_label(key: str) -> str:
    """The label of a recorded parameter (``policy.require_mode`` reads "Policy: required
    mode"); a key added later reads from its name."""
    found = PARAMETER_LABELS.get(key)
    if found is not None:
        return found
    prefix, _, name = key.rpartition(".")
    words = name.replace("_", " ")
    return f"{prefix.capitalize()}: {words}" if prefix else words.capitalize()
