"""How long ``orgscan --help`` and ``orgscan --version`` take, the way hyperfine measures it.

    python -m benchmarks.startup [--runs 20] [--json]

Each command runs ``--runs`` times in a fresh interpreter (``python -m orgscan``, the console
script's own code path) after two warm-up runs; the report gives the mean, standard deviation,
minimum and maximum of the wall time, and the mean CPU time (user + system) of the child, which
other processes on a shared machine disturb far less than the wall time. ``python -X importtime
-m orgscan --help`` says where the time goes when the figure grows.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

COMMANDS = (("--help",), ("--version",))
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class StartupTime:
    """Repeated timings of one command line."""

    command: str
    runs: int
    mean_s: float
    stdev_s: float
    min_s: float
    max_s: float
    cpu_mean_s: float


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_command(args: Sequence[str], runs: int, warmup: int = 2) -> StartupTime:
    """Run ``python -m orgscan args`` ``warmup`` + ``runs`` times; time the last ``runs``."""
    argv = [sys.executable, "-m", "orgscan", *args]
    # The tree being measured, not whatever orgscan the interpreter would otherwise import.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    for _ in range(warmup):
        subprocess.run(argv, env=env, check=True, capture_output=True)
    walls: list[float] = []
    cpu_before = _children_cpu()
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, env=env, check=True, capture_output=True)
        walls.append(time.perf_counter() - started)
    cpu = (_children_cpu() - cpu_before) / runs
    return StartupTime(
        command="orgscan " + " ".join(args),
        runs=runs,
        mean_s=statistics.fmean(walls),
        stdev_s=statistics.stdev(walls) if runs > 1 else 0.0,
        min_s=min(walls),
        max_s=max(walls),
        cpu_mean_s=cpu,
    )


def measure(runs: int) -> list[StartupTime]:
    """Time every command of ``COMMANDS``."""
    return [time_command(args, runs) for args in COMMANDS]


def format_rows(times: Sequence[StartupTime]) -> list[tuple[str, str]]:
    """One table row per command: mean ± σ, range, CPU."""
    return [
        (
            t.command,
            f"{t.mean_s * 1000:.0f} ms ± {t.stdev_s * 1000:.0f} ms wall (range "
            f"{t.min_s * 1000:.0f}–{t.max_s * 1000:.0f} ms, {t.runs} runs), "
            f"{t.cpu_mean_s * 1000:.0f} ms CPU",
        )
        for t in times
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print the start-up times."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.startup",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--runs", type=int, default=20, help="timed runs per command (20)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be positive")
    times = measure(args.runs)
    if args.json:
        print(json.dumps([asdict(t) for t in times], indent=2))
    else:
        rows = format_rows(times)
        width = max(len(name) for name, _ in rows)
        print("\n".join(f"{name.ljust(width)}  {value}" for name, value in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
