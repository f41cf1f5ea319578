"""Report formats: one module per format behind one small interface, as pure transforms.

Each format turns a ``ReportInputs`` into a stream of bytes (``ReportFormat.stream``), so that a
large report is written as it is made and never held whole; ``render`` joins the stream for a
caller that wants the bytes. ``orgscan.formats.write_reports`` is the one place that writes
reports into a run folder (atomically).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Protocol

from orgscan.model import ScanResult
from orgscan.remediation import RemediationSettings, build_plan
from orgscan.remediation.ranking import RankedEntry, rank_plan

if TYPE_CHECKING:
    from orgscan.diff import RunDiff
    from orgscan.remediation.plan_model import Plan
    from orgscan.reports.summary import ReportSummary


@dataclass(frozen=True)
class ReportInputs:
    """Everything a report may show; all of it is rebuilt from a run folder's files."""

    result: ScanResult
    #: The run's remediation plan (``remediation/plan.json``), when there is one.
    plan: Plan | None = None
    #: What changed since the previous run of the same output folder (``diff.json``).
    diff: RunDiff | None = None

    @cached_property
    def remediation_plan(self) -> Plan:
        """The run's plan, or the plan the default settings make for its result (made once:
        several parts of a report read it, and at 10,000 accounts a plan takes seconds)."""
        return self.plan or build_plan(self.result, RemediationSettings())

    @cached_property
    def summary(self) -> ReportSummary:
        """``summarise(result)``, made once: the workbook and the page both read it, and at
        10,000 accounts it takes a third of a second."""
        from orgscan.reports.summary import summarise  # pandas: only reports that need it

        return summarise(self.result)

    @cached_property
    def ranked_plan(self) -> tuple[RankedEntry, ...]:
        """The entries of ``remediation_plan`` that have steps, the one to run first first
        (ranked once)."""
        return rank_plan(self.remediation_plan, self.result)


class ReportFormat(Protocol):
    """One output format: a name for ``--format``, a file name and a pure render function."""

    name: str
    filename: str

    def stream(self, inputs: ReportInputs) -> Iterator[bytes]:
        """The file's content for ``inputs``, in pieces to be written in order."""
        ...

    def render(self, inputs: ReportInputs) -> bytes:
        """The file's content for ``inputs``, whole."""
        ...


class StreamedReport:
    """A format defined by its ``stream``; ``render`` is the stream joined."""

    name: str
    filename: str

    def stream(self, inputs: ReportInputs) -> Iterator[bytes]:
        """The file's content for ``inputs``, in pieces to be written in order."""
        raise NotImplementedError

    def render(self, inputs: ReportInputs) -> bytes:
        """The file's content for ``inputs``, whole."""
        return b"".join(self.stream(inputs))


class WholeReport(StreamedReport):
    """A small format made in one piece by ``render_whole``; streamed as that one piece."""

    def render_whole(self, inputs: ReportInputs) -> bytes:
        """The file's content for ``inputs``."""
        raise NotImplementedError

    def stream(self, inputs: ReportInputs) -> Iterator[bytes]:
        """The file's content for ``inputs``, in one piece."""
        yield self.render_whole(inputs)
