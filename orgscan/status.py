"""A verdict's status, PASS < WARN < FAIL with ERROR apart: plain data with no dependency
inside orgscan, so the model and the values it holds (integrity checks) can all use it.
``orgscan.model`` re-exports it, where every layer imports it from.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """The verdict of one trail's bucket, ordered PASS < WARN < FAIL; ERROR stands apart."""

    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"
    ERROR = "ERROR"

    @property
    def severity(self) -> int:
        """How bad a judged status is: PASS 0 < WARN 1 < FAIL 2 (the worst reason wins).

        ERROR is -1: it judges nothing, so from ERROR any WARN or FAIL is news, never a
        change for the better.
        """
        return _SEVERITY[self]

    @property
    def urgency(self) -> int:
        """Where the status is listed, most urgent first: FAIL 0, ERROR 1, WARN 2, PASS 3.

        "Could not tell" comes right after a failure: it may hide one.
        """
        return _URGENCY[self]


_SEVERITY = {Status.ERROR: -1, Status.PASS: 0, Status.WARN: 1, Status.FAIL: 2}
_URGENCY = {Status.FAIL: 0, Status.ERROR: 1, Status.WARN: 2, Status.PASS: 3}
