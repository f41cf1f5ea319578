"""report.xlsx printed by LibreOffice: the Summary is one page, every sheet prints.

Converts the workbook to PDF with ``soffice --headless`` (skipped, with the reason shown, where
LibreOffice is not installed; CI installs it). Pages are counted in the PDF's page objects and,
where ``pdftotext`` is installed, the page's text is read back.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import botocore.session
import pytest

from orgscan.aws.sessions import SessionFactory
from orgscan.config import ScanSettings
from orgscan.diff import diff_results
from orgscan.model import ScanResult
from orgscan.reports import ReportInputs
from orgscan.reports.summary import summarise
from orgscan.reports.xlsx_report import SHEETS, XlsxReport, build_workbook, workbook_bytes
from orgscan.scan import scan_organization
from orgscan.simulate.demo import demo_spec, drifted
from orgscan.simulate.fakeaws import FakeAws
from orgscan.simulate.scale import scale_spec
from orgscan.simulate.spec import OrgSpec

from .report_fixture import build_history, judged


def find_soffice() -> str | None:
    """LibreOffice's command: ``$ORGSCAN_SOFFICE`` or the usual names."""
    configured = os.environ.get("ORGSCAN_SOFFICE")
    if configured:
        return configured if Path(configured).is_file() else None
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    return None


def to_pdf(soffice: str, workbook: Path) -> Path:
    """Convert ``workbook`` to PDF next to it, with a LibreOffice profile of its own."""
    profile = workbook.parent / "lo-profile"
    subprocess.run(
        [
            soffice,
            "--headless",
            "--norestore",
            "--nolockcheck",
            f"-env:UserInstallation={profile.as_uri()}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(workbook.parent),
            str(workbook),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = workbook.with_suffix(".pdf")
    assert pdf.is_file(), f"LibreOffice wrote no PDF for {workbook.name}"
    return pdf


def page_count(pdf: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", pdf.read_bytes()))


@pytest.fixture(scope="module")
def soffice() -> str:
    found = find_soffice()
    if found is None:
        pytest.skip(
            "LibreOffice is not installed (apt-get install libreoffice-calc-nogui, "
            "or set ORGSCAN_SOFFICE)"
        )
    return found


@pytest.fixture(scope="module")
def inputs() -> ReportInputs:
    _, current, diff = build_history()
    return ReportInputs(result=judged(current), diff=diff)


def test_the_summary_prints_on_one_page(soffice: str, inputs: ReportInputs, tmp_path: Path) -> None:
    summary = summarise(inputs.result)
    workbook = build_workbook(inputs, summary)
    for sheet in list(workbook.worksheets):
        if sheet.title != "Summary":
            workbook.remove(sheet)
    path = tmp_path / "summary.xlsx"
    assert summary.finished is not None
    path.write_bytes(workbook_bytes(workbook, summary.finished))
    pdf = to_pdf(soffice, path)
    assert page_count(pdf) == 1
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
        ).stdout
        # Labels and their values on the same line of the same page.
        assert re.search(r"Accounts scanned\s+4\n", text)
        assert re.search(r"Policy: minimum retention \(days\)\s+365", text)
        assert "2 of 4 scanned accounts are not protected" in " ".join(text.split())
        assert "Page 1 of 1" in text


def test_every_sheet_prints_with_its_header_row(
    soffice: str, inputs: ReportInputs, tmp_path: Path
) -> None:
    path = tmp_path / "report.xlsx"
    path.write_bytes(XlsxReport().render(inputs))
    pdf = to_pdf(soffice, path)
    assert page_count(pdf) >= len(SHEETS)
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
        ).stdout
        pages = [page for page in text.split("\f") if page.strip()]
        # Every sheet prints, each page's footer naming it.
        footers = [page.strip().splitlines()[-1] for page in pages]
        printed = {max((s for s in SHEETS if f.startswith(f"{s} ")), key=len) for f in footers}
        assert printed == set(SHEETS)
        # Findings is too wide for one readable page: it flows over several, the account and
        # trail columns repeated on each, every column printed somewhere.
        findings = [page for page in pages if page.strip().splitlines()[-1].startswith("Findings")]
        assert len(findings) > 1
        for page in findings:
            assert re.search(r"Account\s+Trail\s", page), page[:400]
        assert "Management" in " ".join(findings)  # the last columns included
        assert "o-abc123def4" in findings[0]  # the run in the page header


# --------------------------------------------------------------------------- print fidelity

#: Smallest text allowed on paper (points): the Findings sheet of 23 columns once printed at 3.
MIN_FONT_PT = 7.0


@dataclass(frozen=True)
class Word:
    """One word of a PDF page as ``pdftotext -bbox`` places it (points, origin top left)."""

    page: int
    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Word) -> bool:
        """The two boxes share area (beyond a rounding sliver)."""
        dx = min(self.x1, other.x1) - max(self.x0, other.x0)
        dy = min(self.y1, other.y1) - max(self.y0, other.y0)
        # Lines of one paragraph: their boxes (ascent to descent) overlap by a sliver.
        return dx > 0.5 and dy > 0.35 * min(self.y1 - self.y0, other.y1 - other.y0)


def pdf_words(pdf: Path) -> list[Word]:
    """Every word of ``pdf`` with its page and box."""
    html = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    words: list[Word] = []
    for page, body in enumerate(html.split("<page ")[1:], start=1):
        for match in re.finditer(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
            body,
        ):
            x0, y0, x1, y1 = (float(match.group(n)) for n in range(1, 5))
            words.append(Word(page, match.group(5), x0, y0, x1, y1))
    return words


def overlapping(words: list[Word]) -> list[tuple[Word, Word]]:
    """Pairs of words of one page whose boxes overlap: text printed over other text."""
    found = []
    by_page: dict[int, list[Word]] = {}
    for word in words:
        by_page.setdefault(word.page, []).append(word)
    for page_words in by_page.values():
        page_words.sort(key=lambda w: w.y0)
        for index, word in enumerate(page_words):
            for other in page_words[index + 1 :]:
                if other.y0 >= word.y1:
                    break
                if word.overlaps(other):
                    found.append((word, other))
    return found


def demo_inputs(drift: bool) -> ReportInputs:
    """The demo organization scanned in-process; with ``drift``, rescanned after its drift and
    compared with the first scan (the diff the Changes sheet shows)."""
    first = spec_result(demo_spec())
    if not drift:
        return ReportInputs(result=first)
    second = spec_result(drifted(demo_spec()))
    return ReportInputs(result=second, diff=diff_results(first, second))


def spec_result(spec: OrgSpec) -> ScanResult:
    """A scan of the simulated organization ``spec`` through the in-process responder."""
    session = botocore.session.Session()
    session.set_credentials("test", "test")  # only botocore's signer reads them
    session.set_config_variable("region", "us-east-1")
    FakeAws(spec).register(session)
    sessions = SessionFactory(max_pool_connections=16, base_session=session)
    return scan_organization(ScanSettings(workers=8, policy=spec.policy), sessions)


@pytest.fixture(scope="module")
def pdftotext() -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils is not installed (apt-get install poppler-utils)")


@pytest.mark.parametrize("which", ["demo", "drift", "300 accounts"])
def test_no_text_prints_over_other_text_nor_too_small(
    soffice: str, pdftotext: None, which: str, tmp_path: Path
) -> None:
    inputs = (
        ReportInputs(result=spec_result(scale_spec(300)))
        if which == "300 accounts"
        else demo_inputs(drift=which == "drift")
    )
    path = tmp_path / "report.xlsx"
    path.write_bytes(XlsxReport().render(inputs))
    words = pdf_words(to_pdf(soffice, path))
    assert words, "the PDF has no text"
    small = [w for w in words if w.y1 - w.y0 < MIN_FONT_PT]
    assert not small, f"{len(small)} words under {MIN_FONT_PT} pt, e.g. {small[:3]}"
    clashes = overlapping(words)
    assert not clashes, f"{len(clashes)} words print over others, e.g. {clashes[:3]}"
    text = " ".join(word.text for word in words)
    # Booleans in words, and the Run sheet's labels for people.
    assert " 1 " not in f" {text} ".replace("Page 1 ", "") or "Yes" in text
    assert "Policy: default retention required" in text
    assert "policy.require_default_retention" not in text
