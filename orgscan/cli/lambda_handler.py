"""``orgscan.cli.lambda_handler.handler``: ``orgscan watch`` as a Lambda function behind an SQS
event source mapping (with ``ReportBatchItemFailures``). An entry point like the commands of
this package, without typer: it reads its settings from the environment, builds the
collaborators once per container, and hands each batch to the core
(``orgscan.watch.sqs_event``).

Environment: ``ORGSCAN_OUTPUT_DIR`` (required; a persistent file system such as EFS, holding
the full scans' run folders), ``ORGSCAN_CONFIG`` (optional, the TOML config of the full scans).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from orgscan.aws.recorder import ResponseRecorder
from orgscan.aws.sessions import SessionFactory
from orgscan.cli.exitcodes import scan_exit_code
from orgscan.config import build_settings
from orgscan.config.loading import read_config_file
from orgscan.errors import InputError
from orgscan.runs.logsetup import configure_logging
from orgscan.scan.executors import make_executor
from orgscan.watch.incremental import Rescanner
from orgscan.watch.sqs_event import batch_item_failures

OUTPUT_DIR_VARIABLE = "ORGSCAN_OUTPUT_DIR"
CONFIG_VARIABLE = "ORGSCAN_CONFIG"


def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    """Rescan what the batch's events touched; name the records Lambda must retry."""
    return batch_item_failures(event, _rescanner(), say=print)


@functools.cache
def _rescanner() -> Rescanner:
    """Built once per container: the settings, the session factory and its clients are kept
    warm between batches. ``InputError`` (the whole batch retried) for a bad setting."""
    output_dir = os.environ.get(OUTPUT_DIR_VARIABLE)
    if not output_dir:
        raise InputError(f"{OUTPUT_DIR_VARIABLE} is not set: the output folder of the scans")
    config = os.environ.get(CONFIG_VARIABLE)
    values = read_config_file(Path(config)) if config else None
    settings = build_settings(values, {"output_dir": Path(output_dir)}, config or "config")
    configure_logging(settings.log_level)
    sessions = SessionFactory(
        role_name=settings.role_name,
        external_id=settings.external_id,
        role_session_name=settings.role_session_name,
        max_pool_connections=settings.workers,
        max_attempts=settings.max_attempts,
        recorder=ResponseRecorder(),
    )
    return Rescanner(
        settings=settings,
        sessions=sessions,
        executor=lambda: make_executor(settings.workers, settings.serial),
        command=("orgscan.cli.lambda_handler.handler",),  # what runs recorded it
        judge=lambda result: scan_exit_code(result, settings.fail_on),
    )
