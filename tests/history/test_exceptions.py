"""The exceptions register: loading, validation, applying it, and findings.json round trips."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from orgscan import findings
from orgscan.errors import InputError
from orgscan.exceptions_register import (
    ExceptionLabel,
    ExceptionRegister,
    ExceptionsFileError,
    apply_exceptions,
    excepted_for_exit,
    exception_label,
    load_register,
    parse_register,
    unused_entries,
)
from orgscan.model import ExceptionMark, ReasonCode, Status

from .builders import finding, result, trail_arn

TODAY = date(2026, 11, 27)


def write_toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "exceptions.toml"
    path.write_text(text, encoding="utf-8")
    return path


REGISTER = f"""
[[exceptions]]
trail_arn = "{trail_arn("legacy")}"
owner = "platform@example.com"
reason = "Replaced by the organization trail in Q1"
expires = 2026-12-31

[[exceptions]]
bucket_name = "shared-logs"
owner = "security@example.com"
reason = "Migration to a locked bucket planned"
expires = 2026-11-26
"""


def test_load_register(tmp_path: Path) -> None:
    register = load_register(write_toml(tmp_path, REGISTER))
    legacy, shared = register.entries
    assert (legacy.trail_arn, legacy.bucket_name, legacy.owner, legacy.expires) == (
        trail_arn("legacy"),
        None,
        "platform@example.com",
        date(2026, 12, 31),
    )
    assert (shared.trail_arn, shared.bucket_name, shared.reason) == (
        None,
        "shared-logs",
        "Migration to a locked bucket planned",
    )
    assert register.source == str(tmp_path / "exceptions.toml")


def test_exception_excepts_and_expired_one_does_not(tmp_path: Path) -> None:
    register = load_register(write_toml(tmp_path, REGISTER))
    scan = result(
        finding("legacy", ReasonCode.LOCK_NOT_CONFIGURED),
        finding("app", ReasonCode.NO_DEFAULT_RETENTION, bucket_name="shared-logs"),
        finding("other", ReasonCode.LOCK_NOT_CONFIGURED),
    )
    legacy, app, other = apply_exceptions(scan, register, TODAY).findings
    assert legacy.status is Status.FAIL  # the real status is kept
    assert legacy.exception == ExceptionMark(
        owner="platform@example.com",
        reason="Replaced by the organization trail in Q1",
        expires=date(2026, 12, 31),
        expired=False,
    )
    assert excepted_for_exit(legacy)
    assert exception_label(legacy) is ExceptionLabel.EXCEPTED
    assert app.exception is not None
    assert app.exception.expired  # expired the day before TODAY
    assert not excepted_for_exit(app)
    assert exception_label(app) is ExceptionLabel.EXPIRED
    assert other.exception is None
    assert not excepted_for_exit(other)
    assert exception_label(other) is None


def test_expiry_day_itself_still_applies(tmp_path: Path) -> None:
    register = load_register(write_toml(tmp_path, REGISTER))
    scan = result(finding("app", ReasonCode.LOCK_NOT_CONFIGURED, bucket_name="shared-logs"))
    on_the_day = apply_exceptions(scan, register, date(2026, 11, 26)).findings[0]
    assert excepted_for_exit(on_the_day)


def test_trail_entry_wins_over_bucket_entry_and_errors_are_never_excused(tmp_path: Path) -> None:
    register = load_register(write_toml(tmp_path, REGISTER))
    scan = result(finding("legacy", ReasonCode.ACCESS_DENIED, bucket_name="shared-logs"))
    (marked,) = apply_exceptions(scan, register, TODAY).findings
    assert marked.exception is not None
    assert marked.exception.owner == "platform@example.com"
    assert not excepted_for_exit(marked)  # ERROR still means incomplete evidence


def test_unused_entries(tmp_path: Path) -> None:
    register = load_register(write_toml(tmp_path, REGISTER))
    scan = result(finding("legacy", ReasonCode.LOCK_NOT_CONFIGURED))
    assert [e.bucket_name for e in unused_entries(register, scan)] == ["shared-logs"]


def test_empty_register_and_config_section() -> None:
    assert parse_register([], "orgscan.toml") == ExceptionRegister((), "orgscan.toml")
    scan = result(finding("a", ReasonCode.LOCK_NOT_CONFIGURED))
    assert apply_exceptions(scan, ExceptionRegister(), TODAY) == scan


ENTRY = 'owner = "o"\nreason = "r"\nexpires = 2027-01-01\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[exceptions]]\nbucket_name = "b-logs"\nowner = "o"\nreason = "r"\n',
            r"exceptions\[0\] \(.*missing key 'expires'",
        ),
        (
            f'[[exceptions]]\nbucket_name = "b-logs"\n{ENTRY}[[exceptions]]\n{ENTRY}',
            r"exceptions\[1\] \(.*exactly one of 'trail_arn' or 'bucket_name'",
        ),
        (
            f'[[exceptions]]\nbucket_name = "b-logs"\ntrail_arn = "{trail_arn("x")}"\n{ENTRY}',
            r"exceptions\[0\] \(.*\(both given\)",
        ),
        (
            '[[exceptions]]\nbucket_name = "b-logs"\nowner = "o"\nreason = "r"\n'
            'expires = "2027-01-01"\n',
            r"exceptions\[0\] \(.*'expires' must be a TOML date",
        ),
        (
            '[[exceptions]]\nbucket_name = "b-logs"\nowner = "o"\nreason = "r"\n'
            "expires = 2027-01-01T10:00:00\n",
            r"'expires' must be a TOML date",
        ),
        (
            f'[[exceptions]]\nbucket_name = "b-logs"\n{ENTRY}color = "red"\n',
            r"exceptions\[0\] \(.*unknown key 'color'",
        ),
        (
            '[[exceptions]]\nbucket_name = "b-logs"\nowner = ""\nreason = "r"\n'
            "expires = 2027-01-01\n",
            r"'owner' must be a non-empty string",
        ),
        (
            '[[exceptions]]\nbucket_name = "b-logs"\nowner = 3\nreason = "r"\n'
            "expires = 2027-01-01\n",
            r"'owner' must be a non-empty string, not 3",
        ),
        (
            f'[[exceptions]]\ntrail_arn = "my-trail"\n{ENTRY}',
            r"'trail_arn' must be a CloudTrail trail ARN",
        ),
        (f'[[exceptions]]\nbucket_name = "Bad_Bucket"\n{ENTRY}', r"'bucket_name' must be an S3"),
        (
            f'[[exceptions]]\nbucket_name = "b-logs"\n{ENTRY}'
            '[[exceptions]]\nbucket_name = "b-logs"\n'
            f"{ENTRY}",
            r"exceptions\[1\] \(.*'bucket_name' 'b-logs' is already excepted by "
            r"exceptions\[0\]",
        ),
        ('exceptions = "none"\n', r"'exceptions' must be an array of tables"),
        ("exceptions = [1]\n", r"exceptions\[0\] \(.*must be a table"),
        ("[settings]\n", r"unknown key 'settings'"),
        ("[[exceptions]\n", r"not valid TOML"),
    ],
)
def test_validation_errors_name_file_index_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = write_toml(tmp_path, text)
    with pytest.raises(ExceptionsFileError, match=message) as caught:
        load_register(path)
    assert isinstance(caught.value, InputError)
    assert str(caught.value).startswith(f"{path}: ")
    assert "\n" not in str(caught.value)


def test_missing_register_file(tmp_path: Path) -> None:
    with pytest.raises(ExceptionsFileError, match="exceptions file not found"):
        load_register(tmp_path / "exceptions.toml")


def test_findings_json_round_trip_with_and_without_exception() -> None:
    mark = ExceptionMark(owner="o", reason="r", expires=date(2027, 1, 1), expired=True)
    scan = result(
        finding("plain"), finding("marked", ReasonCode.LOCK_NOT_CONFIGURED, exception=mark)
    )
    text = findings.dumps(scan)
    document = json.loads(text)
    assert "exception" not in document["findings"][0]
    assert document["findings"][1]["exception"] == {
        "owner": "o",
        "reason": "r",
        "expires": "2027-01-01",
        "expired": True,
    }
    assert findings.loads(text) == scan
    document["findings"][0]["exception"] = None  # an explicit null loads as "no exception"
    assert findings.loads(json.dumps(document)) == scan
    assert list(findings.findings_frame(scan.findings).columns) == list(findings.FINDING_COLUMNS)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("yes", r"findings\[0\]\.exception must be an object or null"),
        (
            {"owner": "o", "reason": "r", "expires": "soon", "expired": False},
            r"findings\[0\]\.exception: 'expires' must be a date",
        ),
        (
            {"owner": "o", "reason": "r", "expires": "2027-01-01"},
            r"findings\[0\]\.exception: missing key 'expired'",
        ),
    ],
)
def test_malformed_exception_in_findings_json(value: object, message: str) -> None:
    document = json.loads(findings.dumps(result(finding("a"))))
    document["findings"][0]["exception"] = value
    with pytest.raises(findings.FindingsFileError, match=message):
        findings.loads(json.dumps(document))
