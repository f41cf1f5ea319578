"""Who can weaken a trail, diffed: the ``weakeners[]`` rows and each finding's ``tamper_status``."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from orgscan.cli.diff_cmd import format_diff
from orgscan.diff import DiffClass, diff_results, load_diff, write_diff
from orgscan.diff.weakeners import WeakenerClass
from orgscan.model import ScanResult, Status
from orgscan.weakeners import Weakener
from tests.builders import weakener

from .builders import MEMBER, finding, result, trail_arn

TRAIL = trail_arn("t")


def row(principal: str, action: str = "cloudtrail:StopLogging", **changes: object) -> Weakener:
    return weakener(TRAIL, principal, MEMBER, action=action, **changes)


def run(
    rows: tuple[Weakener, ...] | None,
    tamper: Status | None = Status.FAIL,
    started_at: str = "2026-11-20T09:00:00Z",
) -> ScanResult:
    scan = result(finding("t", tamper_status=tamper), started_at=started_at)
    return dataclasses.replace(scan, weakeners=rows)


def later(rows: tuple[Weakener, ...] | None, tamper: Status | None = Status.FAIL) -> ScanResult:
    return run(rows, tamper, started_at="2026-11-27T09:00:00Z")


def classes(old: ScanResult, new: ScanResult) -> dict[str, WeakenerClass]:
    diff = diff_results(old, new)
    return {entry.row.principal_arn.rsplit("/", 1)[1]: entry.diff_class for entry in diff.weakeners}


def test_rows_new_resolved_changed_unchanged_open_new_rows_first() -> None:
    old = run((row("Kept"), row("Gone"), row("Unblocked", blocked_by="p-1#Deny")))
    new = later(
        (
            row("Kept"),
            row("Unblocked"),
            row("BreakGlass", break_glass=True),
            row("Added"),
        )
    )
    diff = diff_results(old, new)
    assert [(e.diff_class, e.row.principal_arn.rsplit("/", 1)[1]) for e in diff.weakeners] == [
        (WeakenerClass.NEW, "Added"),  # open: first among the new
        (WeakenerClass.NEW, "BreakGlass"),
        (WeakenerClass.RESOLVED, "Gone"),
        (WeakenerClass.CHANGED, "Unblocked"),
        (WeakenerClass.UNCHANGED, "Kept"),
    ]
    changed = diff.weakeners[3]
    assert changed.describe() == "blocked_by p-1#Deny → none"


def test_the_action_is_part_of_the_key() -> None:
    old = run((row("Admin", "cloudtrail:StopLogging"),))
    new = later((row("Admin", "cloudtrail:DeleteTrail"),))
    got = sorted((e.diff_class, e.row.action) for e in diff_results(old, new).weakeners)
    assert got == [
        (WeakenerClass.NEW, "cloudtrail:DeleteTrail"),
        (WeakenerClass.RESOLVED, "cloudtrail:StopLogging"),
    ]


def test_a_run_without_weakeners_is_not_assessed_never_resolved() -> None:
    assert classes(run((row("Admin"),)), later(None, tamper=None)) == {
        "Admin": WeakenerClass.NOT_ASSESSED
    }
    # An older run (no weakeners) before a new one: the rows are not news either.
    assert classes(run(None, tamper=None), later((row("Admin"),))) == {
        "Admin": WeakenerClass.NOT_ASSESSED
    }


def test_a_row_gone_where_the_sources_could_not_be_read_is_not_resolved() -> None:
    assert classes(run((row("Admin"),)), later((), tamper=Status.ERROR)) == {
        "Admin": WeakenerClass.NOT_ASSESSED
    }


def test_tamper_status_is_classified_like_a_status() -> None:
    def tamper_class(old: Status | None, new: Status | None) -> DiffClass:
        entry = diff_results(run((), old), later((), new)).entries[0]
        return entry.tamper_class

    assert tamper_class(Status.PASS, Status.FAIL) is DiffClass.NEW_FAILURE
    assert tamper_class(Status.FAIL, Status.PASS) is DiffClass.RESOLVED
    assert tamper_class(Status.WARN, Status.FAIL) is DiffClass.NEW_FAILURE
    assert tamper_class(Status.FAIL, Status.FAIL) is DiffClass.STILL_FAILING
    assert tamper_class(Status.PASS, Status.PASS) is DiffClass.UNCHANGED
    assert tamper_class(None, Status.PASS) is DiffClass.NOT_ASSESSED
    assert tamper_class(Status.FAIL, None) is DiffClass.NOT_ASSESSED


def test_diff_json_and_the_terminal_show_them(tmp_path: Path) -> None:
    diff = diff_results(run((row("Gone"),), Status.PASS), later((row("Added"),), Status.FAIL))
    write_diff(tmp_path, diff)
    assert load_diff(tmp_path) == diff
    document = json.loads((tmp_path / "diff.json").read_text(encoding="utf-8"))
    assert document["weakener_counts"] == {
        "new": 1,
        "resolved": 1,
        "changed": 0,
        "unchanged": 0,
        "not_assessed": 0,
    }
    assert document["weakeners"][0]["class"] == "new"
    assert document["weakeners"][0]["row"]["principal_arn"].endswith("role/Added")
    trail = document["trails"][0]
    assert (trail["tamper_status_old"], trail["tamper_status_new"]) == ("PASS", "FAIL")
    assert trail["tamper_class"] == "new_failure"
    text = format_diff(diff)
    assert "tamper PASS → FAIL" in text
    assert "weakeners: new 1  resolved 1  changed 0  unchanged 0  not_assessed 0" in text
    assert f"new       {TRAIL}  arn:aws:iam::{MEMBER}:role/Added  cloudtrail:StopLogging" in text
