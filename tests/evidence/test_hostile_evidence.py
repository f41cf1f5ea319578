"""``verify --recompute`` on a forged or damaged evidence file: one line and exit 2, never a
traceback, and a bounded amount of memory however the file decompresses."""

from __future__ import annotations

import gzip
import io
import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from orgscan.aws.recorder import EVIDENCE_FILE, MAX_RECORD_BYTES, read_records
from orgscan.cli import app
from orgscan.errors import InputError
from orgscan.evidence.evidence_file import EvidenceFileError
from orgscan.evidence.manifest import write_manifest
from orgscan.evidence.recompute import recompute_run
from orgscan.jsondoc import bounded_lines
from tests.reliability.documents import changed, containers, paths
from tests.reliability.refusals import assert_clean_refusal, refusal


def evidence_lines(run_dir: Path) -> list[str]:
    """The evidence file's lines, as the scan wrote them."""
    return gzip.decompress((run_dir / EVIDENCE_FILE).read_bytes()).decode().splitlines()


def write_evidence(run_dir: Path, lines: list[str | bytes], *, reseal: bool = True) -> None:
    """Replace the evidence file with ``lines`` and, as a forger would, rewrite the manifest."""
    with gzip.open(run_dir / EVIDENCE_FILE, "wb") as handle:
        for line in lines:
            handle.write((line if isinstance(line, bytes) else line.encode()) + b"\n")
    if reseal:
        write_manifest(run_dir, run_dir.name)


def verify_recompute(run_dir: Path) -> Any:
    return CliRunner().invoke(app, ["verify", "--recompute", str(run_dir)])


def _call(operation: str, **fields: Any) -> str:
    record: dict[str, Any] = {
        "account_id": "111111111111",
        "region": "us-east-1",
        "operation": operation,
        "request": {},
        "response": {},
        "error": None,
    }
    return json.dumps(record | fields)


# Each case: a forged line, and the words the refusal must name besides the file and line.
HOSTILE_LINES: dict[str, tuple[str | bytes, str]] = {
    "nested too deeply": (
        '{"operation": "DescribeTrails", "response": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "not valid JSON",
    ),
    "a number only infinity holds": (
        _call("GetObjectLockConfiguration").replace('"response": {}', '"response": 1e400'),
        "too large a number",
    ),
    "a trail list that is a number": (
        _call("DescribeTrails", response={"trailList": 5}),
        "response.trailList must be list",
    ),
    "a trail entry that is a string": (
        _call("DescribeTrails", response={"trailList": ["arn"]}),
        "response.trailList[0] must be an object",
    ),
    "request parameters that are text": (_call("GetTrailStatus", request="x"), "'request'"),
    "a bucket name that is a list": (
        _call("HeadBucket", request={"Bucket": ["b"]}),
        "'Bucket' must be str",
    ),
    "retention days that are text": (
        _call(
            "GetObjectLockConfiguration",
            response={"ObjectLockConfiguration": {"Rule": {"DefaultRetention": {"Days": "9"}}}},
        ),
        "DefaultRetention.Days must be int",
    ),
    "IsLogging that is a number": (
        _call("GetTrailStatus", response={"IsLogging": 1}),
        "response.IsLogging must be bool",
    ),
    "a listing entry that is a number": (
        _call("ListBuckets", response={"Buckets": [7]}),
        "response.Buckets[0] must be an object",
    ),
    "an error code that is a number": (
        _call("GetBucketVersioning", response=None, error={"Code": 5, "Message": ""}),
        "'Code' must be str",
    ),
    "headers that are a list": (
        _call("HeadBucket", response={"ResponseMetadata": {"HTTPHeaders": ["x"]}}),
        "ResponseMetadata.HTTPHeaders must be an object",
    ),
    "a record without its request": ('{"operation": "ListBuckets"}', "not a recorded call (no"),
    "a record that is a list": ("[1, 2]", "not a recorded call"),
    "a line that is not UTF-8": (b'{"operation": "\xff"}', "not UTF-8"),
}


@pytest.mark.parametrize("case", list(HOSTILE_LINES))
def test_a_forged_evidence_line_is_one_line_and_exit_2(demo_run: Path, case: str) -> None:
    line, words = HOSTILE_LINES[case]
    lines: list[str | bytes] = [*evidence_lines(demo_run)]
    write_evidence(demo_run, [*lines, line])
    result = verify_recompute(demo_run)
    assert_clean_refusal(result, "api-responses.jsonl.gz", f"line {len(lines) + 1}:", words)


def test_a_line_that_decompresses_huge_is_refused_without_being_held(demo_run: Path) -> None:
    # 64 MB of one line compress to about 64 KB: a small file can hold a line of gigabytes.
    size = 64 * 1024 * 1024
    lines = evidence_lines(demo_run)
    with gzip.open(demo_run / EVIDENCE_FILE, "wb", compresslevel=1) as handle:
        handle.write(("\n".join(lines) + "\n").encode())
        handle.write(b'{"operation": "ListBuckets", "pad": "')
        block = b"a" * (1024 * 1024)
        for _ in range(size // len(block)):
            handle.write(block)
        handle.write(b'"}\n')
    write_manifest(demo_run, demo_run.name)
    assert (demo_run / EVIDENCE_FILE).stat().st_size < 1024 * 1024
    assert_clean_refusal(
        verify_recompute(demo_run),
        "api-responses.jsonl.gz",
        f"line {len(lines) + 1} is longer than the",
    )
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="is longer than"):
            for _ in read_records(demo_run / EVIDENCE_FILE):
                pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The refused line is never held whole: the line limit and a chunk, at most.
    assert peak < 2 * MAX_RECORD_BYTES, peak


_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(["", "Enabled", "COMPLIANCE", "\x1b]0;x\x07", "us-east-1", "404"]),
    containers,
    max_leaves=5,
)


@st.composite
def _one_record_changed(draw: st.DrawFn, lines: list[str]) -> tuple[int, Any]:
    """The index of one evidence line and that record with one value replaced or removed."""
    index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
    record = json.loads(lines[index])
    path = draw(st.sampled_from(list(paths(record))))
    if path != () and draw(st.booleans()):
        return index, changed(record, path, None, delete=True)
    return index, changed(record, path, draw(_values))


def test_any_change_to_one_record_is_a_difference_or_one_refusal(
    demo_run_master: Path, tmp_path: Path
) -> None:
    run_dir = tmp_path / "run"
    (run_dir / "evidence").mkdir(parents=True)
    (run_dir / "findings.json").write_bytes((demo_run_master / "findings.json").read_bytes())
    lines = evidence_lines(demo_run_master)

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(change=_one_record_changed(lines))
    def check(change: tuple[int, Any]) -> None:
        index, record = change
        forged: list[str | bytes] = [*lines[:index], json.dumps(record), *lines[index + 1 :]]
        write_evidence(run_dir, forged, reseal=False)
        message = refusal(EvidenceFileError, recompute_run, run_dir)
        if message is not None:
            assert "\n" not in message
            assert message.startswith(str(run_dir / EVIDENCE_FILE))

    check()


def test_lines_are_split_across_chunks_and_bounded_while_read() -> None:
    data = io.BytesIO(b"ab\ncdef\n\ngh")
    lines = bounded_lines(
        data, "f", InputError, max_line_bytes=4, max_total_bytes=100, chunk_bytes=3
    )
    assert list(lines) == [(1, b"ab"), (2, b"cdef"), (3, b""), (4, b"gh")]
    too_long = bounded_lines(
        io.BytesIO(b"ab\n" + b"x" * 50), "f", InputError, max_line_bytes=4, max_total_bytes=100
    )
    with pytest.raises(InputError, match="f: line 2 is longer than the 4 bytes"):
        list(too_long)
    too_much = bounded_lines(
        io.BytesIO(b"ab\n" * 50), "f", InputError, max_line_bytes=4, max_total_bytes=100
    )
    with pytest.raises(InputError, match="more than the 100 bytes"):
        list(too_much)
