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

from orgscan.cli.exitcodes import scan_exit_code
from orgscan.errors import InputError
from orgscan.runs.logsetup import configure_logging
from orgscan.watch.incremental import Rescanner, watch_settings
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
    settings = watch_settings(Path(config) if config else None, Path(output_dir))
    configure_logging(settings.log_level)
    return Rescanner.for_settings(
        settings,
        command=("orgscan.cli.lambda_handler.handler",),  # what the runs record as their command
        judge=lambda result: scan_exit_code(
            result,
            settings.fail_on,
            enforce_tamper_paths=settings.tamper.enforce_tamper_paths,
        ),
    )
