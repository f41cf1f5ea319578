"""``findings.json``: the run's source of truth."""

from __future__ import annotations

from collections.abc import Iterator

from orgscan import findings
from orgscan.jsonstream import utf8
from orgscan.reports import ReportInputs, StreamedReport


class JsonReport(StreamedReport):
    """Serialises the whole scan result (contract section 3)."""

    name = "json"
    filename = findings.FINDINGS_FILE

    def stream(self, inputs: ReportInputs) -> Iterator[bytes]:
        """The ``findings.json`` document as UTF-8, written as each finding is encoded."""
        return utf8(findings.iter_dumps(inputs.result))
