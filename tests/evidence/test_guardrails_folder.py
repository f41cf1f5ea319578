"""The run folder's ``remediation/guardrails/``: sealed with the run, never applied by
``remediate --apply``."""

from __future__ import annotations

import json
from pathlib import Path

from orgscan.tamper.guardrails import POLICY_LIMIT, guarded_rows
from orgscan.weakeners import weakener_from_dict
from tests.evidence.test_recompute import read_findings


def test_the_demo_run_holds_guardrails_for_its_open_rows(demo_run_master: Path) -> None:
    folder = demo_run_master / "remediation" / "guardrails"
    document = read_findings(demo_run_master)
    rows = [weakener_from_dict(raw, "row") for raw in document["weakeners"]]
    guarded = guarded_rows(rows)
    assert guarded, "the demo has open tamper paths outside the management account"
    denied: set[tuple[str, str]] = set()
    for path in sorted(folder.glob("*.json")):
        text = path.read_text().strip()
        assert len(text) <= POLICY_LIMIT
        for statement in json.loads(text)["Statement"]:
            denied |= {(a, r) for a in statement["Action"] for r in statement["Resource"]}
    for row in guarded:
        resource = f"{row.target_arn}/*" if "Bypass" in row.action else row.target_arn
        assert (row.action, resource) in denied
    manifest = json.loads((demo_run_master / "manifest.json").read_text())
    assert "remediation/guardrails/attach.sh" in manifest["files"]
    assert "remediation/guardrails/scp-1.json" in manifest["files"]
