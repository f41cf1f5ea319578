"""The run's own description in ``findings.json``: its id, its scope, its command line, its host.

An auditor reading a run folder must be able to tell which run it is, what it was asked to look
at (a narrow ``--accounts`` makes "all PASS" mean much less) and who ran it where.
"""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Sequence
from pathlib import Path

from orgscan.config import ScanSettings
from orgscan.model import RunScope, ScanResult

# Options whose value is a secret: kept out of the recorded command line.
SECRET_OPTIONS = frozenset({"--external-id"})
REDACTED = "[redacted]"


def run_scope(settings: ScanSettings) -> RunScope:
    """What ``settings`` ask to scan; ``None`` for accounts and regions means "all"."""
    return RunScope(
        role_name=settings.role_name,
        accounts=settings.accounts or None,
        exclude_accounts=settings.exclude_accounts,
        ous=settings.ous,
        regions=settings.regions or None,
        org=settings.use_org,
    )


def redacted_command(argv: Sequence[str]) -> tuple[str, ...]:
    """``argv`` as given, program name shortened to ``orgscan``, secret option values hidden.

    Both ``--external-id VALUE`` and ``--external-id=VALUE`` are covered.
    """
    if not argv:
        return ()
    command = ["orgscan"]
    hide_next = False
    for arg in argv[1:]:
        if hide_next:
            command.append(REDACTED)
            hide_next = False
            continue
        option, equals, _ = arg.partition("=")
        if option in SECRET_OPTIONS:
            if equals:
                command.append(f"{option}={REDACTED}")
            else:
                command.append(arg)
                hide_next = True
            continue
        command.append(arg)
    return tuple(command)


def host_name() -> str:
    """The machine's name, as the operating system reports it."""
    return socket.gethostname()


def describe_run(
    result: ScanResult, run_dir: Path, settings: ScanSettings, argv: Sequence[str]
) -> ScanResult:
    """``result`` with ``run.run_id`` (the run folder's name), ``scope``, ``command``, ``host``."""
    run = dataclasses.replace(
        result.run,
        run_id=run_dir.name,
        scope=run_scope(settings),
        command=redacted_command(argv),
        host=host_name(),
    )
    return dataclasses.replace(result, run=run)
