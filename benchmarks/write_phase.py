"""The write phase of a run, measured: a scanned organization's run folder written as
``orgscan scan`` writes it (``orgscan.runs.output.write_run``, every format), with the CPU time of
each part.

The parts are timed by wrapping the functions ``write_run`` calls (the plan, the scripts, the
diff, each report's render) for the duration of the measurement; what is left is writing the
files (temporary file, fsync, rename) and ``latest``.
"""

from __future__ import annotations

import contextlib
import functools
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orgscan.remediation
from orgscan.formats import OutputFormat
from orgscan.model import ScanResult
from orgscan.reports.csv_report import CsvReport
from orgscan.reports.html_report import HtmlReport
from orgscan.reports.json_report import JsonReport
from orgscan.reports.xlsx_report import XlsxReport
from orgscan.runs import output
from orgscan.runs.folder import create_run_dir


@dataclass
class WriteMeasurement:
    """One run folder written: wall and CPU time, CPU time by part, what was written."""

    wall_s: float
    cpu_s: float
    parts_cpu_s: dict[str, float]
    files: int
    scripts: int
    megabytes: float


#: (owner, attribute, part name): the functions timed, in the order write_run calls them.
_PARTS: tuple[tuple[Any, str, str], ...] = (
    (JsonReport, "render", "findings.json"),
    (output, "build_plan", "plan"),
    (orgscan.remediation, "write_plan_files", "scripts and plan.json"),
    (output, "diff_against_previous", "diff"),
    (CsvReport, "render", "findings.csv"),
    (XlsxReport, "render", "report.xlsx"),
    (HtmlReport, "render", "report.html"),
)


def _timed(function: Callable[..., Any], totals: dict[str, float], part: str) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            totals[part] = totals.get(part, 0.0) + time.process_time() - started

    return wrapper


@contextlib.contextmanager
def _timed_parts() -> Iterator[dict[str, float]]:
    totals: dict[str, float] = {}
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in _PARTS]
    try:
        for (owner, name, part), (_, _, original) in zip(_PARTS, originals, strict=True):
            setattr(owner, name, _timed(original, totals, part))
        yield totals
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)


def measure_write(result: ScanResult) -> WriteMeasurement:
    """Write ``result``'s run folder (every format) into a temporary output folder."""
    with tempfile.TemporaryDirectory(prefix="orgscan-bench-") as tmp:
        run_dir = create_run_dir(Path(tmp), datetime.now(UTC))
        with _timed_parts() as parts:
            wall, cpu = time.perf_counter(), time.process_time()
            written = output.write_run(run_dir, result, tuple(OutputFormat))
            output.mark_latest(run_dir)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        size = sum(path.stat().st_size for path in written)
    parts["writing files and latest"] = max(0.0, cpu - sum(parts.values()))
    return WriteMeasurement(
        wall_s=wall,
        cpu_s=cpu,
        parts_cpu_s=parts,
        files=len(written),
        scripts=sum(1 for path in written if path.suffix == ".sh"),
        megabytes=size / 1e6,
    )
