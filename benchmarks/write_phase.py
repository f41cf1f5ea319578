"""The write phase of a run, measured: a scanned organization's run folder written as
``orgscan scan`` writes it (``orgscan.runs.output.write_run``, every format), with the CPU time of
each part. ``python -m benchmarks.write_phase RUN/findings.json`` measures the write phase
alone, with its peak RSS, without scanning.

The parts are timed by wrapping the functions ``write_run`` calls (the plan, the scripts, the
diff, each report's render) for the duration of the measurement; what is left is writing the
files (temporary file, fsync, rename) and ``latest``.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import resource
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orgscan.remediation
from orgscan.findings import loads
from orgscan.formats import OutputFormat
from orgscan.model import ScanResult
from orgscan.reports.asff_report import AsffReport
from orgscan.reports.csv_report import CsvReport
from orgscan.reports.html_report import HtmlReport
from orgscan.reports.json_report import JsonReport
from orgscan.reports.ocsf_report import OcsfReport
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
    (JsonReport, "stream", "findings.json"),
    (output, "build_plan", "plan"),
    (orgscan.remediation, "write_plan_files", "scripts and plan.json"),
    (output, "diff_against_previous", "diff"),
    (CsvReport, "stream", "findings.csv"),
    (XlsxReport, "stream", "report.xlsx"),
    (HtmlReport, "stream", "report.html"),
    (AsffReport, "stream", "findings-asff.json"),
    (OcsfReport, "stream", "findings-ocsf.json"),
)


def _timed(function: Callable[..., Any], totals: dict[str, float], part: str) -> Callable[..., Any]:
    def add(started: float) -> None:
        totals[part] = totals.get(part, 0.0) + time.process_time() - started

    def pieces(stream: Iterator[Any]) -> Iterator[Any]:
        # A report's stream does its work as it is read: each piece is timed, the writing of
        # the pieces between them is not.
        while True:
            started = time.process_time()
            try:
                piece = next(stream)
            except StopIteration:
                add(started)
                return
            add(started)
            yield piece

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            result = function(*args, **kwargs)
        finally:
            add(started)
        return pieces(result) if isinstance(result, Iterator) else result

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


def main(argv: Sequence[str] | None = None) -> int:
    """Write the run folder of a ``findings.json`` and print the figures, with the process's
    peak RSS (the write phase alone: no scan ran in this process)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.write_phase", description=__doc__)
    parser.add_argument("findings", type=Path, help="a run's findings.json")
    args = parser.parse_args(argv)
    result = loads(args.findings.read_text(encoding="utf-8"))
    before = peak_rss_mb()
    measured = measure_write(result)
    figures = {
        "accounts": len(result.accounts),
        "findings": len(result.findings),
        "write CPU s": round(measured.cpu_s, 2),
        "write wall s": round(measured.wall_s, 2),
        **{f"  {part} CPU s": round(cpu, 2) for part, cpu in measured.parts_cpu_s.items()},
        "files": measured.files,
        "MB on disk": round(measured.megabytes, 1),
        "peak RSS before writing MB": round(before, 1),
        "peak RSS MB": round(peak_rss_mb(), 1),
        "load average": round(os.getloadavg()[0], 1),
    }
    for name, value in figures.items():
        print(f"{name:32} {value}")
    return 0


def peak_rss_mb() -> float:
    """The process's peak resident set size so far, in MB."""
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    raise SystemExit(main())
