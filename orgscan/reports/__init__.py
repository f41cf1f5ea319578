"""Report formats: one module per format behind one small interface, as pure transforms.

Each format turns a ``ReportInputs`` into bytes; ``write_reports`` is the one place that writes
them into a run folder (atomically).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from orgscan.files import atomic_write
from orgscan.model import ScanResult

if TYPE_CHECKING:
    from orgscan.diff import RunDiff
    from orgscan.remediation.plan_model import Plan


@dataclass(frozen=True)
class ReportInputs:
    """Everything a report may show; all of it is rebuilt from a run folder's files."""

    result: ScanResult
    #: The run's remediation plan (``remediation/plan.json``), when there is one.
    plan: Plan | None = None
    #: What changed since the previous run of the same output folder (``diff.json``).
    diff: RunDiff | None = None


class ReportFormat(Protocol):
    """One output format: a name for ``--format``, a file name and a pure render function."""

    name: str
    filename: str

    def render(self, inputs: ReportInputs) -> bytes:
        """The file's content for ``inputs``."""
        ...


def available_formats() -> dict[str, ReportFormat]:
    """Every report format by its ``--format`` name, in the order they are written (the format
    registry's, ``orgscan.formats``)."""
    from orgscan.formats import FORMATS, Report

    return {
        fmt.value: entry.output.load()
        for fmt, entry in FORMATS.items()
        if isinstance(entry.output, Report)
    }


def write_reports(run_dir: Path, inputs: ReportInputs, names: Iterable[str]) -> list[Path]:
    """Render the named formats and write each into ``run_dir`` atomically; return the paths."""
    formats = available_formats()
    chosen = list(names)
    unknown = [name for name in chosen if name not in formats]
    if unknown:  # a caller's mistake, never a user's: --format names are validated before
        raise ValueError(f"{unknown[0]!r} is not a report format (one of {', '.join(formats)})")
    written: list[Path] = []
    for name in chosen:
        fmt = formats[name]
        path = run_dir / fmt.filename
        atomic_write(path, fmt.render(inputs))
        written.append(path)
    return written


def format_names() -> Sequence[str]:
    """The ``--format`` names that produce a report file."""
    return list(available_formats())
