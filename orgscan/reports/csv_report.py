"""``findings.csv``: the findings table, one row per trail, in the contract's column order.

The column names are the contract's machine field names (trail health included:
``is_logging``, ``latest_delivery_error``, ``management_events``, and v3's
``global_service_events``, ``latest_delivery_time``, ``delivering``, ``log_file_validation``,
``kms_key_arn``); the workbook shows readable headers instead.
"""

from __future__ import annotations

from orgscan.findings import findings_frame
from orgscan.reports import ReportInputs, WholeReport
from orgscan.reports.spreadsheet_safety import neutralise_formula


class CsvReport(WholeReport):
    """The findings DataFrame as CSV; cells that a spreadsheet would run as formulas are quoted."""

    name = "csv"
    filename = "findings.csv"

    def render_whole(self, inputs: ReportInputs) -> bytes:
        """CSV with a header row; booleans as ``true``/``false``, missing values empty."""
        frame = findings_frame(inputs.result.findings)
        text_columns = [c for c, dtype in frame.dtypes.items() if str(dtype) == "string"]
        for column in text_columns:
            frame[column] = frame[column].map(neutralise_formula, na_action="ignore")
        # Every boolean column, the trail health's is_logging included.
        for column in [c for c, dtype in frame.dtypes.items() if str(dtype) == "boolean"]:
            frame[column] = frame[column].map(
                lambda value: "true" if value else "false", na_action="ignore"
            )
        return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")
