"""What orgscan prints on the terminal from AWS data: control characters shown as escapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from orgscan.cli.common import fail
from orgscan.cli.terminal_summary import print_summary
from tests.reliability.documents import sample_result

#: A trail name a forged DescribeTrails answer could carry: retitle the window, ring the
#: bell, clear the screen.
TRAIL = "audit\x1b]0;owned\x07\x1b[2J"
#: A bucket name that would colour the line and start a forged summary line.
BUCKET = "logs\x1b[32m\n  PASS 111111111111 all-good COMPLIANT: fine\x9b"


def test_the_scan_summary_escapes_names_from_aws(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    print_summary(sample_result(trail_name=TRAIL, bucket_name=BUCKET), tmp_path / "run\x1b[1m")
    out = capsys.readouterr().out
    for raw in ("\x1b", "\x07", "\x9b"):
        assert raw not in out
    (line,) = [line for line in out.splitlines() if "audit" in line]
    assert line == (
        "  FAIL  333333333333 audit\\x1b]0;owned\\x07\\x1b[2J LOCK_NOT_CONFIGURED: "
        "logs\\x1b[32m\\n  PASS 111111111111 all-good COMPLIANT: fine\\x9b"
    )
    assert not any(line.startswith("  PASS") for line in out.splitlines())
    assert f"  run folder: {tmp_path}/run\\x1b[1m" in out


def test_an_error_line_quoting_aws_text_stays_one_escaped_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    exit_ = fail("cannot read bucket logs\x1b]0;owned\x07: AccessDenied\nforged line")
    assert exit_.exit_code == 2
    assert capsys.readouterr().err == (
        "orgscan: error: cannot read bucket logs\\x1b]0;owned\\x07: AccessDenied forged line\n"
    )
