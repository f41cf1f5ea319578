"""Every ``--format`` name has a writer, and a name nothing writes is an error, never skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from orgscan.config import OutputFormat, build_settings
from orgscan.errors import InputError
from orgscan.reports import ReportInputs, format_names, write_reports
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
