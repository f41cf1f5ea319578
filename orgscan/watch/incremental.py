"""One incremental run: the accounts some events touched, scanned again through the pipeline
and merged into the output folder's latest sealed run (its base).

The base must be one the scan wrote: it matches its manifest and its findings follow from its
recorded evidence (``verify --recompute``). Otherwise an edited run would be laundered into a
freshly sealed one; the rescan is refused instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from datetime import datetime
from pathlib import Path
from typing import Any

from orgscan.aws.sessions import SessionFactory
from orgscan.config import ScanSettings, build_settings
from orgscan.config.loading import read_config_file
from orgscan.errors import InputError
from orgscan.evidence.trust import trusted_run
from orgscan.model import ScanResult
from orgscan.pipeline import RunHooks, RunOutcome, run, scan_sessions
from orgscan.runs.folder import resolve_latest
from orgscan.scan.executors import make_executor
from orgscan.scan.planning import utc_now
from orgscan.watch.merge import merge_runs


class NoBaseRun(InputError):
    """The output folder holds no sealed run to update: a full scan must come first."""


def base_run(output_dir: Path) -> tuple[Path, ScanResult]:
    """The run ``output_dir/latest`` names, once shown to be what the scan wrote (manifest and
    recompute); ``NoBaseRun`` when there is none, ``UntrustedRunError`` when it was changed."""
    latest = resolve_latest(output_dir) if output_dir.is_dir() else None
    if latest is None:
        raise NoBaseRun(
            f"{output_dir}: no run to update (no latest run); run `orgscan scan "
            f"--output-dir {output_dir}` first"
        )
    trusted = trusted_run(latest, purpose="update it with an incremental run", recompute=True)
    return latest, trusted.result


def watch_settings(config: Path | None, output_dir: Path) -> ScanSettings:
    """The settings of a watch: the full scans' config file (``config``), writing into
    ``output_dir``; ``InputError`` naming the file and key of a bad one."""
    values = read_config_file(config) if config is not None else None
    return build_settings(values, {"output_dir": output_dir}, str(config or "config"))


@dataclasses.dataclass(frozen=True)
class Rescanner:
    """What every incremental run of one watch shares: the settings of a full scan (the
    config), the session factory, a fresh executor per run, the clock, the command line the
    runs record and how a result is judged for the run's final log line."""

    settings: ScanSettings
    sessions: SessionFactory
    executor: Callable[[], Executor]
    command: Sequence[str]
    judge: Callable[[ScanResult], int]
    clock: Callable[[], datetime] = utc_now
    hooks: RunHooks | None = None

    @classmethod
    def for_settings(
        cls,
        settings: ScanSettings,
        command: Sequence[str],
        judge: Callable[[ScanResult], int],
    ) -> Rescanner:
        """Incremental runs against AWS with ``settings``: the scan's session factory
        (recording evidence) and a new executor of their size for each run."""
        return cls(
            settings=settings,
            sessions=scan_sessions(settings),
            executor=lambda: make_executor(settings.workers, settings.serial),
            command=tuple(command),
            judge=judge,
        )

    def rescan(self, accounts: frozenset[str], base_dir: Path, base: ScanResult) -> RunOutcome:
        """Scan ``accounts`` again and write the incremental run of ``base`` (the run of
        ``base_dir``, from ``base_run``); the outcome names the sealed folder, which ``latest``
        now names."""
        restricted = dataclasses.replace(
            self.settings,
            accounts=tuple(sorted(accounts)),
            exclude_accounts=(),
            ous=(),
            **_as_in(base),
        )

        def merge(result: ScanResult, run_dir: Path) -> ScanResult:
            return merge_runs(base, base_dir, result, run_dir, accounts)

        return run(
            restricted,
            self.sessions,
            self.executor(),
            command=self.command,
            exit_code=self.judge,
            hooks=self.hooks,
            clock=self.clock,
            merge=merge,
        )


def _as_in(base: ScanResult) -> dict[str, Any]:
    """The settings a rescan takes from its base run: one run judges every finding with one
    policy, over the same regions and organization mode, whatever the config says now."""
    taken: dict[str, Any] = {"policy": base.run.policy}
    scope = base.run.scope
    if scope is not None:
        taken |= {"regions": scope.regions or (), "use_org": scope.org}
    return taken
