"""The output formats of a run in one registry: every ``--format`` name and what writes it.

``FORMATS`` maps each ``OutputFormat`` to its ``FormatEntry``. Everything else reads it: the
default set and the help of ``--format`` (``orgscan.config``), the writers
(``orgscan.runs.output.WRITERS``), the report renderers (``available_formats``, and
``write_reports``, which writes them), the files the terminal summary names and the reports
``orgscan report`` rebuilds. The registry sits above the renderers it names (``orgscan.reports``,
``orgscan.remediation``): they never read it.

A new format is a member of ``OutputFormat`` and a ``case`` in ``_entry`` (plus its renderer).
A member without a case is a type error (``assert_never``) and, at the latest, an
``AssertionError`` when this module is imported: before any scan, never after one.

Renderers are imported only when a format is written, so ``orgscan --help`` stays fast.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, TypeVar, assert_never

from orgscan.files import atomic_write

if TYPE_CHECKING:
    from orgscan.reports import ReportFormat, ReportInputs

#: Writes one format's files into a run folder; returns their paths.
Writer = Callable[[Path, "ReportInputs"], list[Path]]
F = TypeVar("F", bound=StrEnum)
log = logging.getLogger(__name__)


class OutputFormat(StrEnum):
    """A ``--format`` name: what a run writes besides ``findings.json``."""

    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"
    HTML = "html"
    SCRIPTS = "scripts"
    ASFF = "asff"
    OCSF = "ocsf"


@dataclass(frozen=True)
class Report:
    """A format rendered into one file by a ``ReportFormat``, loaded when it is needed."""

    load: Callable[[], ReportFormat]


@dataclass(frozen=True)
class Files:
    """A format that writes files of its own into the run folder."""

    write: Writer
    #: Imports what ``write`` needs, ahead of writing (``prepare``); by default nothing.
    load: Callable[[], object] = lambda: None


@dataclass(frozen=True)
class FormatEntry:
    """How one format is written, and how the command line presents it."""

    output: Report | Files
    #: Written only when named: left out of the default set.
    opt_in: bool = False
    #: Where the terminal summary names the file (1 first); None: not named there.
    opened: int | None = None


def _json() -> ReportFormat:
    from orgscan.reports.json_report import JsonReport

    return JsonReport()


def _csv() -> ReportFormat:
    from orgscan.reports.csv_report import CsvReport

    return CsvReport()


def _xlsx() -> ReportFormat:
    from orgscan.reports.xlsx_report import XlsxReport

    return XlsxReport()


def _html() -> ReportFormat:
    from orgscan.reports.html_report import HtmlReport

    return HtmlReport()


def _asff() -> ReportFormat:
    from orgscan.reports.asff_report import AsffReport

    return AsffReport()


def _ocsf() -> ReportFormat:
    from orgscan.reports.ocsf_report import OcsfReport

    return OcsfReport()


def _scripts_load() -> object:
    from orgscan.remediation import planfile, scripts

    return planfile, scripts


def _scripts(run_dir: Path, inputs: ReportInputs) -> list[Path]:
    from orgscan.remediation import write_plan_files
    from orgscan.remediation.guardrail_files import write_guardrails

    written = write_plan_files(run_dir, inputs.plan) if inputs.plan is not None else []
    return written + write_guardrails(run_dir, inputs.result)


def _entry(fmt: OutputFormat) -> FormatEntry:
    """The one place that says how ``fmt`` is written."""
    match fmt:
        case OutputFormat.JSON:
            return FormatEntry(Report(_json), opened=4)
        case OutputFormat.CSV:
            return FormatEntry(Report(_csv), opened=3)
        case OutputFormat.XLSX:
            return FormatEntry(Report(_xlsx), opened=2)
        case OutputFormat.HTML:
            return FormatEntry(Report(_html), opened=1)
        case OutputFormat.SCRIPTS:
            return FormatEntry(Files(_scripts, _scripts_load))
        case OutputFormat.ASFF:
            return FormatEntry(Report(_asff), opt_in=True)
        case OutputFormat.OCSF:
            return FormatEntry(Report(_ocsf), opt_in=True)
        case _:
            assert_never(fmt)


def build_registry(
    formats: Iterable[F], entry: Callable[[F], FormatEntry]
) -> Mapping[F, FormatEntry]:
    """Every format of ``formats`` with its entry, in the enum's order (the order of writing)."""
    return MappingProxyType({fmt: entry(fmt) for fmt in formats})


FORMATS: Mapping[OutputFormat, FormatEntry] = build_registry(OutputFormat, _entry)


def default_formats(registry: Mapping[F, FormatEntry]) -> tuple[F, ...]:
    """The formats written when ``--format`` is not given: all but the opt-in ones."""
    return tuple(fmt for fmt, entry in registry.items() if not entry.opt_in)


def format_help(registry: Mapping[F, FormatEntry]) -> str:
    """What ``--format`` accepts, in words."""
    opt_in = [fmt.value for fmt, entry in registry.items() if entry.opt_in]
    named = f"; {' and '.join(opt_in)} only when named" if opt_in else ""
    return (
        f"Any of {','.join(fmt.value for fmt in registry)}, comma-separated "
        f"(findings.json is always written{named})."
    )


def available_formats() -> dict[str, ReportFormat]:
    """Every report format by its ``--format`` name, in the order they are written (the
    registry's)."""
    return {
        fmt.value: entry.output.load()
        for fmt, entry in FORMATS.items()
        if isinstance(entry.output, Report)
    }


def prepare(names: Iterable[OutputFormat | str]) -> None:
    """Import what writing the formats ``names`` needs (openpyxl for the workbook, jinja2 for
    the page and the scripts), and nothing for the others: a run that writes only JSON never
    loads the workbook's libraries. ``orgscan.pipeline`` calls it on a thread while the scan
    waits on AWS, so the imports are paid off the critical path."""
    for name in names:
        output = FORMATS[OutputFormat(name)].output
        output.load()


def prepare_in_background(names: Iterable[OutputFormat | str]) -> threading.Thread:
    """``prepare(names)`` on a thread, started: the run's scan goes on meanwhile. A failed
    import is logged here and raised where the format is written, which imports it again."""

    def imports() -> None:
        try:
            prepare(names)
        except Exception:  # raised again where the run folder is written
            log.debug("importing the writers ahead of the scan failed", exc_info=True)

    thread = threading.Thread(target=imports, name="orgscan-imports", daemon=True)
    thread.start()
    return thread


def write_reports(run_dir: Path, inputs: ReportInputs, names: Iterable[str]) -> list[Path]:
    """Render the named formats and write each into ``run_dir`` atomically; return the paths.

    Each report is written as it is rendered (its ``stream``), never held whole; only the
    named formats' renderers are loaded."""
    reports = {
        fmt.value: entry.output
        for fmt, entry in FORMATS.items()
        if isinstance(entry.output, Report)
    }
    chosen = list(names)
    unknown = [name for name in chosen if name not in reports]
    if unknown:  # a caller's mistake, never a user's: --format names are validated before
        raise ValueError(f"{unknown[0]!r} is not a report format (one of {', '.join(reports)})")
    written: list[Path] = []
    for name in chosen:
        fmt = reports[name].load()
        path = run_dir / fmt.filename
        atomic_write(path, fmt.stream(inputs))
        written.append(path)
    return written


def format_names() -> Sequence[str]:
    """The ``--format`` names that produce a report file."""
    return [fmt.value for fmt, entry in FORMATS.items() if isinstance(entry.output, Report)]
