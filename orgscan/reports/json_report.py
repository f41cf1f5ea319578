"""``findings.json``: the run's source of truth."""

from __future__ import annotations

from orgscan import findings
from orgscan.reports import ReportInputs, WholeReport


class JsonReport(WholeReport):
    """Serialises the whole scan result (contract section 3)."""

    name = "json"
    filename = findings.FINDINGS_FILE

    def render_whole(self, inputs: ReportInputs) -> bytes:
        """The ``findings.json`` document as UTF-8."""
        return findings.dumps(inputs.result).encode("utf-8")
