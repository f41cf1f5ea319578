"""``report.xlsx``: the auditors' workbook, evidence on its own.

Sheets, in order: Summary, Findings, Accounts, Buckets, Coverage, Remediation, Run (the
contract's), then Integrity (each trail's checks beside the lock), Changes (what changed since
the previous run). Every sheet has readable column headers (the machine field names stay in
findings.json and findings.csv) and prints: landscape, fit to the page width, header row
repeated, the run in the page header and page numbers in the footer; the Summary prints on one
page. The render is a pure
function of the report inputs: workbook times come from the run's ``finished_at`` and the zip
entries carry fixed timestamps, so rebuilding a run folder gives the same bytes.
"""

from __future__ import annotations

import functools
import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from orgscan.reports import ReportInputs, StreamedReport
from orgscan.reports.changes import exception_counts, summarise_changes
from orgscan.reports.entry_fixes import entry_fixes, entry_fixes_below
from orgscan.reports.fixes import remediation_rows
from orgscan.reports.standings import accounts_view
from orgscan.reports.summary import ReportSummary, display_time
from orgscan.reports.trail_fixes import trail_fixes, trail_fixes_below
from orgscan.reports.xlsx_changes import (
    account_changes_sheet,
    changes_sheet,
    weakener_changes_sheet,
)
from orgscan.reports.xlsx_integrity import integrity_sheet
from orgscan.reports.xlsx_print import print_setup
from orgscan.reports.xlsx_sheet import use_workbook_font
from orgscan.reports.xlsx_stream import CHUNK, save_chunks, scratch, streamed_sheet, transfer
from orgscan.reports.xlsx_summary import summary_sheet
from orgscan.reports.xlsx_tables import (
    accounts_sheet,
    buckets_sheet,
    controls_sheet,
    coverage_sheet,
    findings_sheet,
    remediation_sheet,
    run_sheet,
    weakeners_sheet,
)

#: The contract's sheets, in the contract's order (v2 puts Accounts after Findings).
CONTRACT_SHEETS = ("Summary", "Findings", "Accounts", "Buckets", "Coverage", "Remediation", "Run")
#: Every sheet of the workbook: sheets beyond the contract's come after its seven, the
#: integrity checks beside the lock (contract 5.2) first, as the first detail of the Findings.
SHEETS = (
    *CONTRACT_SHEETS,
    "Integrity",
    "Account changes",
    "Changes",
    "Weakener changes",
    "Controls",
    "Who can weaken",
)

#: The earliest time a zip entry can carry; used when the run has no parsable finish time.
_ZIP_EPOCH = datetime(1980, 1, 1)


#: Sheets laid out by position, drawn on a scratch sheet and copied (``xlsx_stream.transfer``).
_BY_POSITION = ("Summary", "Account changes", "Changes", "Weakener changes")


class XlsxReport(StreamedReport):
    """The Excel workbook (openpyxl, write-only: its rows go to disk as they are made)."""

    name = "xlsx"
    filename = "report.xlsx"

    def stream(self, inputs: ReportInputs) -> Iterator[bytes]:
        """The workbook's bytes; identical for identical inputs."""
        summary = inputs.summary
        workbook = build_workbook(inputs, summary)
        moment = summary.finished or _ZIP_EPOCH
        with tempfile.TemporaryFile() as file:
            yield from save_chunks(lambda out: save_workbook(workbook, moment, out), file)


def build_workbook(inputs: ReportInputs, summary: ReportSummary) -> Workbook:
    """The workbook with every sheet filled, not yet saved (write-only: save it once)."""
    workbook = Workbook(write_only=True)
    use_workbook_font(workbook)
    run = inputs.result.run
    title = " · ".join(
        part
        for part in (
            run.organization_id or "single account",
            f"run {run.run_id}" if run.run_id else f"finished {display_time(run.finished_at)}",
        )
        if part
    )
    targets = {name: streamed_sheet(workbook, name) for name in SHEETS}
    for name, sheet in targets.items():
        # Set up when it is closed: its widths are known then.
        sheet.before_close = functools.partial(
            print_setup, sheet, title, one_page=name == "Summary"
        )
    sheets = {
        name: scratch(workbook, name) if name in _BY_POSITION else sheet
        for name, sheet in targets.items()
    }
    changes = summarise_changes(inputs.diff, summary)
    view = accounts_view(inputs.result, {a.account_id: a.note for a in summary.accounts})
    summary_sheet(
        sheets["Summary"], summary, changes, exception_counts(inputs.result.findings), view
    )
    findings_sheet(sheets["Findings"], inputs.result.findings)
    integrity_sheet(sheets["Integrity"], inputs.result.findings)
    accounts_sheet(sheets["Accounts"], view)
    buckets_sheet(sheets["Buckets"], summary)
    coverage_sheet(sheets["Coverage"], summary)
    remediation_sheet(sheets["Remediation"], remediation_rows(inputs, summary))
    trail_fixes_below(sheets["Remediation"], trail_fixes(inputs))
    entry_fixes_below(sheets["Remediation"], entry_fixes(inputs))
    run_sheet(sheets["Run"], summary, changes)
    account_changes_sheet(sheets["Account changes"], changes)
    changes_sheet(sheets["Changes"], changes)
    weakener_changes_sheet(sheets["Weakener changes"], changes)
    controls_sheet(sheets["Controls"], inputs.result)
    weakeners_sheet(sheets["Who can weaken"], inputs.result)
    for name in _BY_POSITION:
        transfer(sheets[name], targets[name])
    for sheet in targets.values():
        # Finished: its file is complete and closed, whether the workbook is saved whole or a
        # caller leaves sheets out (a sheet removed while open would be written to after).
        sheet.close()
    moment = summary.finished or _ZIP_EPOCH
    props = workbook.properties
    props.creator = "orgscan"
    props.lastModifiedBy = "orgscan"
    props.title = put_title(f"CloudTrail Object Lock audit {run.organization_id or ''}".strip())
    props.created = moment
    props.modified = moment
    return workbook


def put_title(text: str) -> str:
    """A document property without control characters (they make the file unreadable)."""
    return "".join(ch for ch in text if ch >= " " or ch == "\t")[:255]


#: zlib's level for the workbook's entries: at 10,000 accounts its 263 MB of XML take 1.6 s of
#: CPU at the default level (6) and 15.7 MB; 0.6 s and 18.1 MB at this one.
COMPRESS_LEVEL = 3


class _FixedTimeZip(zipfile.ZipFile):
    """A zip whose every entry carries one fixed time and mode: the same workbook, same bytes."""

    def __init__(self, file: Any, stamp: tuple[int, int, int, int, int, int]) -> None:
        super().__init__(file, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL)
        self._stamp = stamp

    def _entry(self, name: str) -> zipfile.ZipInfo:
        entry = zipfile.ZipInfo(name, date_time=self._stamp)
        entry.compress_type = zipfile.ZIP_DEFLATED
        # Read by zipfile for an entry given as a ZipInfo (Python 3.13 names it
        # compress_level, and keeps this name as its alias).
        entry._compresslevel = COMPRESS_LEVEL  # type: ignore[attr-defined]
        entry.external_attr = 0o644 << 16
        return entry

    def writestr(self, zinfo_or_arcname: Any, data: Any, *args: Any, **kwargs: Any) -> None:
        name = (
            zinfo_or_arcname.filename
            if isinstance(zinfo_or_arcname, zipfile.ZipInfo)
            else zinfo_or_arcname
        )
        super().writestr(self._entry(name), data)

    def write(self, filename: Any, arcname: Any = None, *args: Any, **kwargs: Any) -> None:
        # A sheet's file is written into the zip a piece at a time: the largest is hundreds of
        # megabytes at 10,000 accounts. writestr is this with the data in memory: the size
        # given up front decides, as there, whether the entry needs zip64.
        entry = self._entry(arcname or str(filename))
        with open(filename, "rb") as handle:
            entry.file_size = os.fstat(handle.fileno()).st_size
            with self.open(entry, "w") as out:
                shutil.copyfileobj(handle, out, CHUNK)


def workbook_bytes(workbook: Workbook, moment: datetime) -> bytes:
    """The saved workbook, every zip entry stamped ``moment``: the same workbook, the same bytes."""
    raw = io.BytesIO()
    save_workbook(workbook, moment, raw)
    return raw.getvalue()


def save_workbook(workbook: Workbook, moment: datetime, file: IO[bytes]) -> None:
    """Save ``workbook`` into ``file``, every zip entry stamped ``moment``."""
    # openpyxl's save_workbook stamps "modified" with the current time and zipfile stamps every
    # entry with it too; write through ExcelWriter into a zip that fixes the entry times.
    with _FixedTimeZip(file, max(moment, _ZIP_EPOCH).timetuple()[:6]) as archive:
        ExcelWriter(workbook, archive).save()
