"""Every ``--format`` name has a writer, and a name nothing writes is an error, never skipped.

The format registry is the one place a format is declared: a new one is a member and an entry,
and a member without an entry fails at import, never after a scan."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from orgscan.cli.terminal_summary import _opened_files
from orgscan.config import SETTINGS, OutputFormat, ScanSettings, build_settings
from orgscan.errors import InputError
from orgscan.formats import (
    FORMATS,
    Report,
    available_formats,
    default_formats,
    format_help,
    format_names,
    write_reports,
)
from orgscan.reports import ReportInputs
from orgscan.runs.output import WRITERS
from tests.reliability.documents import sample_result


def test_every_output_format_has_a_writer() -> None:
    assert set(WRITERS) == set(OutputFormat)
    assert set(format_names()) <= {fmt.value for fmt in OutputFormat}


def test_the_format_option_becomes_output_formats_in_the_order_given() -> None:
    settings = build_settings(None, {"format": "html,JSON,html"})
    assert settings.formats == (OutputFormat.HTML, OutputFormat.JSON)


def test_an_unknown_format_is_bad_input_naming_the_choices() -> None:
    with pytest.raises(
        InputError, match="--format: expected any of json, csv, xlsx, html, scripts, asff, ocsf"
    ):
        build_settings(None, {"format": "json,pdf"})


def test_write_reports_refuses_a_name_it_cannot_write(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'pdf' is not a report format"):
        write_reports(tmp_path, ReportInputs(result=sample_result()), ["csv", "pdf"])
    assert list(tmp_path.iterdir()) == []  # checked before anything is written


# ------------------------------------------------------------------ the registry


def test_every_format_has_a_writer_and_is_offered_and_every_writer_is_a_format() -> None:
    help_text = SETTINGS["format"][1].help
    for fmt in OutputFormat:
        assert fmt in FORMATS
        assert fmt in WRITERS
        assert fmt.value in help_text
    assert set(WRITERS) <= set(OutputFormat)
    assert set(FORMATS) <= set(OutputFormat)
    # Every report renderer is a format of that name, and the other way round.
    reports = available_formats()
    assert {name for name, fmt in reports.items() if fmt.name == name} == set(reports)
    assert set(reports) == {
        fmt.value for fmt, entry in FORMATS.items() if isinstance(entry.output, Report)
    }


def test_defaults_help_and_summary_are_read_from_the_registry() -> None:
    assert ScanSettings().formats == (
        OutputFormat.JSON,
        OutputFormat.CSV,
        OutputFormat.XLSX,
        OutputFormat.HTML,
        OutputFormat.SCRIPTS,
    )
    assert format_help(FORMATS) == (
        "Any of json,csv,xlsx,html,scripts,asff,ocsf, comma-separated (findings.json is always "
        "written; asff and ocsf only when named)."
    )
    assert _opened_files() == [
        "report.html",
        "report.xlsx",
        "findings.csv",
        "findings.json",
        "diff.json",
    ]


_NEW_FORMAT = """
from enum import StrEnum
from pathlib import Path
from typing import assert_never

from orgscan.formats import FormatEntry, Files, build_registry


class Format(StrEnum):
    JSON = "json"
    TXT = "txt"


def write_txt(run_dir: Path, inputs: object) -> list[Path]:
    path = run_dir / "findings.txt"
    path.write_text("one line\\n", encoding="utf-8")
    return [path]


def entry(fmt: Format) -> FormatEntry:
    match fmt:
        case Format.JSON:
            return FormatEntry(Files(lambda run_dir, inputs: []))
        {txt_case}
        case _:
            assert_never(fmt)


REGISTRY = build_registry(Format, entry)
"""
_TXT_CASE = "case Format.TXT:\n            return FormatEntry(Files(write_txt), opt_in=True)"


def _import(tmp_path: Path, name: str, source: str) -> ModuleType:
    path = tmp_path / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_new_format_is_a_member_and_one_entry(tmp_path: Path) -> None:
    module = _import(tmp_path, "with_txt", _NEW_FORMAT.format(txt_case=_TXT_CASE))
    registry = module.REGISTRY
    txt = module.Format.TXT
    assert "txt only when named" in format_help(registry)
    assert default_formats(registry) == (module.Format.JSON,)
    written = registry[txt].output.write(tmp_path, ReportInputs(result=sample_result()))
    assert [path.read_text(encoding="utf-8") for path in written] == ["one line\n"]


def test_a_format_without_an_entry_fails_at_import_before_any_scan(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="txt"):
        _import(tmp_path, "without_txt", _NEW_FORMAT.format(txt_case=""))
