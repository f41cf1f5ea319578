"""Report formats: one module per format behind one small interface, as pure transforms.

Each format turns a ``ReportInputs`` into bytes; ``orgscan.formats.write_reports`` is the one
place that writes them into a run folder (atomically).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

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
