"""``orgscan watch``: parse, handle SIGTERM, print the event lines, map the outcome to an exit."""

from __future__ import annotations

import re
import signal
import sys
import threading
from contextlib import AbstractContextManager
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from orgscan.cli.common import maps_input_errors, signals_handled, terminal_text
from orgscan.cli.exitcodes import ExitCode
from orgscan.cli.panels import examples
from orgscan.wording import plural

EPILOG = examples(
    "orgscan watch --queue-url https://sqs.us-east-1.amazonaws.com/111122223333/orgscan-events "
    "--output-dir reports/ --config /etc/orgscan/orgscan.toml",
    "orgscan watch --queue-url URL --output-dir reports/ --once   (cron, tests)",
)
# https://sqs.REGION.amazonaws.com/ACCOUNT/NAME (also .com.cn, and the legacy REGION.queue.
# host): the queue's region decides the client's.
_QUEUE_URL = re.compile(r"^https://(?:sqs\.)?([a-z]{2}(?:-[a-z]+)+-\d{1,2})[./]", re.ASCII)
_ANY_URL = re.compile(r"^https?://[^\s/]+/\S+\Z")


@maps_input_errors
def watch(
    queue_url: Annotated[
        str,
        typer.Option("--queue-url", metavar="URL", help="The SQS queue EventBridge fills."),
    ],
    output_dir: Annotated[
        Path,
        typer.Option(
            "--output-dir",
            metavar="DIR",
            help="The output folder of the full scans; its latest run is the base.",
        ),
    ],
    once: Annotated[
        bool,
        typer.Option("--once", metavar="", help="Drain the queue, write at most one run and exit."),
    ] = False,
    debounce: Annotated[
        float,
        typer.Option(
            "--debounce",
            metavar="SECONDS",
            min=0,
            max=900,
            help="Gather events this long after the first before rescanning.",
        ),
    ] = 60.0,
    wait_seconds: Annotated[
        int,
        typer.Option("--wait-seconds", metavar="N", min=1, max=20, help="Longest SQS long poll."),
    ] = 20,
    config: Annotated[
        Path | None,
        typer.Option("--config", metavar="FILE", help="The TOML config of the full scans."),
    ] = None,
) -> None:
    """Rescan the accounts that CloudTrail events from QUEUE_URL touch, writing incremental
    run folders into OUTPUT_DIR; delete each message once its run folder is sealed."""
    from orgscan.cli.exitcodes import scan_exit_code
    from orgscan.errors import InputError
    from orgscan.runs.logsetup import configure_logging
    from orgscan.watch.incremental import Rescanner, base_run, watch_settings
    from orgscan.watch.loop import SqsQueue, Watcher

    if not _ANY_URL.match(queue_url):
        raise InputError(f"--queue-url: not a queue URL: {queue_url!r:.120}")
    settings = watch_settings(config, output_dir)
    configure_logging(settings.log_level)
    base_run(settings.output_dir)  # no trusted run to update: exit 2 or 1 before any read
    rescanner = Rescanner.for_settings(
        settings,
        command=sys.argv,
        judge=lambda result: scan_exit_code(
            result,
            settings.fail_on,
            enforce_tamper_paths=settings.tamper.enforce_tamper_paths,
        ),
    )
    found = _QUEUE_URL.match(queue_url)
    region = found.group(1) if found else rescanner.sessions.default_region
    watcher = Watcher(
        SqsQueue(rescanner.sessions.shared_client("sqs", region), queue_url),
        rescanner,
        say=lambda line: typer.echo(terminal_text(line), err=True),
        wait_seconds=wait_seconds,
        debounce=debounce,
    )
    stop = threading.Event()
    with _terminate_sets(stop):
        summary = watcher.run(stop, once=once)
    if not settings.quiet:
        typer.echo(
            f"{plural(len(summary.runs), 'incremental run')} written, "
            f"{plural(summary.deleted, 'message')} "
            f"deleted, {summary.left} left on the queue"
        )
    # A rescan that failed leaves its events on the queue: the evidence is not up to date.
    raise typer.Exit(ExitCode.INCOMPLETE if summary.failures else ExitCode.OK)


def _terminate_sets(stop: threading.Event) -> AbstractContextManager[None]:
    """SIGTERM sets ``stop``: the run folder being written is finished and sealed, its
    messages deleted, and the watch then ends (a scheduler's stop never leaves a half run)."""

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    return signals_handled(request_stop, signal.SIGTERM)
