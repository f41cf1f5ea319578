"""Run the ``orgscan`` command line with latency before every CloudTrail, S3 and EC2 request.

Used as a child process by the interruption tests, so that a scan against a moto server lasts
long enough to be interrupted part-way: ``python slow_scan.py SECONDS MARKER scan ...``.
The latency is added through ``SessionFactory``'s ``configure_session`` hook, as a slow network
would add it; everything else is the real command. The file MARKER is created when the first
slow request is sent: the scan proper (after discovery) has begun.
"""

from __future__ import annotations

import functools
import signal
import sys
import time
from pathlib import Path
from typing import Any

import botocore.session

import orgscan.aws.sessions
from orgscan.aws.sessions import SessionFactory
from orgscan.cli import main

SLOW_SERVICES = ("cloudtrail", "s3", "ec2")


def add_latency(seconds: float, marker: Path, session: botocore.session.Session) -> None:
    """Sleep ``seconds`` before each request to a slow service is sent; touch ``marker``."""

    def sleep(**_: Any) -> None:
        marker.touch()
        time.sleep(seconds)

    for service in SLOW_SERVICES:
        session.register(f"before-send.{service}", sleep)


if __name__ == "__main__":
    latency, marker = float(sys.argv.pop(1)), Path(sys.argv.pop(1))
    # As at a terminal, where Ctrl-C reaches the scan: a shell starts background jobs (a test
    # run under nohup or `make ... &`) with SIGINT ignored, and children inherit that.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # The scan command imports SessionFactory when it runs: replace it where it is defined.
    orgscan.aws.sessions.SessionFactory = functools.partial(  # type: ignore[misc, assignment]
        SessionFactory, configure_session=functools.partial(add_latency, latency, marker)
    )
    sys.argv[0] = "orgscan"
    main()
