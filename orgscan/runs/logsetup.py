"""Logging for a run: buffered until the run folder exists, then into its ``orgscan.log``.

The run sequence (``orgscan.pipeline``) owns these files, as it owns the rest of the run
folder; the rest of the core just logs to ``logging.getLogger(__name__)``. How the process logs
at all (the level, no output to the terminal) is its caller's: ``configure_logging``, called
once by the command before the run starts.
Besides its own ``orgscan.log``, every run appends to the output folder's ``orgscan.log``
(rotated), each line tagged with its run folder, so a scheduler's runs read as one history.
Both are ``orgscan.runs.logfiles`` handlers: private files, never written through a symbolic
link; the shared one is concurrent-log-handler's, so several processes may append to it safely,
its lock file kept outside the output folder.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
from pathlib import Path

LOG_FILE = "orgscan.log"
_FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"
_SHARED_FORMAT = "%(asctime)s %(levelname)s [%(run)s] %(threadName)s %(name)s: %(message)s"
SHARED_LOG_MAX_BYTES = 10 * 1024 * 1024
SHARED_LOG_BACKUPS = 5
_LOGGER = "orgscan"


class TextFormatter(logging.Formatter):
    """Plain text lines. A message cannot start a new line: AWS error messages are text from
    outside, and one holding a newline would forge a log line orgscan never wrote."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        """The record's line, with line breaks in it shown as ``\\n`` and ``\\r``."""
        return super().formatMessage(record).replace("\r", "\\r").replace("\n", "\\n")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as ``{"time", "level", "logger", "thread", "message"}``."""
        document = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "thread": record.threadName,
            "message": record.getMessage(),
        }
        for extra in ("run", "summary"):  # the run tag and the final line's counts, when set
            if hasattr(record, extra):
                document[extra] = getattr(record, extra)
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document, ensure_ascii=False)


def configure_logging(level: str = "INFO") -> None:
    """Set orgscan's log level; its records go only to the handlers a run attaches, never to
    the terminal (whose stderr carries the one-line errors and the progress bar)."""
    logger = logging.getLogger(_LOGGER)
    logger.setLevel(level.upper())
    logger.propagate = False
    # botocore's own warnings (retries, credential refresh) belong in the run log too.
    logging.getLogger("botocore").setLevel(logging.WARNING)


def start_buffer() -> logging.handlers.MemoryHandler:
    """Keep log records in memory until ``attach_run_log`` knows where the file is."""
    buffer = logging.handlers.MemoryHandler(capacity=100_000, flushLevel=logging.CRITICAL + 1)
    logging.getLogger(_LOGGER).addHandler(buffer)
    return buffer


def attach_run_log(
    run_dir: Path, buffer: logging.handlers.MemoryHandler, json_format: bool = False
) -> logging.Handler:
    """Write the buffered and all later records to ``run_dir/orgscan.log``."""
    # Imported here: `orgscan --help` must not pay for the handlers (they import portalocker).
    from orgscan.runs.logfiles import RunLogHandler

    handler = RunLogHandler(
        run_dir / LOG_FILE, maxBytes=50 * 1024 * 1024, backupCount=5, encoding="utf-8"
    )
    handler.setFormatter(JsonFormatter() if json_format else TextFormatter(_FORMAT))
    logger = logging.getLogger(_LOGGER)
    buffer.setTarget(handler)
    buffer.flush()
    logger.removeHandler(buffer)
    buffer.close()
    logger.addHandler(handler)
    return handler


class _RunTag(logging.Filter):
    """Names the run folder on every record, for the log that several runs share."""

    def __init__(self, run: str) -> None:
        super().__init__()
        self.run = run

    def filter(self, record: logging.LogRecord) -> bool:
        """Tag ``record`` with the run folder; never drops it."""
        record.run = self.run
        return True


def attach_shared_log(
    run_dir: Path, json_format: bool = False, max_bytes: int = SHARED_LOG_MAX_BYTES
) -> logging.Handler:
    """Also write this run's records to the output folder's rotating ``orgscan.log``.

    Several runs may write it at once (cron overlapping a manual run): concurrent-log-handler
    locks it for each record and for rotation, so lines never interleave or get lost. Attach it
    after ``attach_run_log`` so the buffered records went only to the run's own log. When the
    shared log cannot be opened — a symbolic link planted there is never followed — the run says
    so in its own log and goes on: its evidence is in its run folder.
    """
    from orgscan.runs.logfiles import SharedLogHandler

    path = run_dir.parent / LOG_FILE
    try:
        handler: logging.Handler = SharedLogHandler(
            path, max_bytes=max_bytes, backups=SHARED_LOG_BACKUPS
        )
    except OSError as exc:
        reason = (
            "a symbolic link, never followed" if path.is_symlink() else exc.strerror or str(exc)
        )
        logging.getLogger(__name__).warning(
            "%s not written (%s): this run logs only to its run folder", path, reason
        )
        return logging.NullHandler()
    handler.addFilter(_RunTag(run_dir.name))
    handler.setFormatter(JsonFormatter() if json_format else TextFormatter(_SHARED_FORMAT))
    logging.getLogger(_LOGGER).addHandler(handler)
    return handler


def stop(handler: logging.Handler) -> None:
    """Flush and detach the run's log file."""
    logging.getLogger(_LOGGER).removeHandler(handler)
    handler.close()


def close_run_log(handlers: list[logging.Handler]) -> None:
    """Close the run's own log, ``handlers[0]`` (taken off the list), before the run is sealed.

    A log file that could not be written is reported once here: the output folder's (the
    others) as a warning in the run's own log, the run's own as ``EvidenceWriteError`` naming
    it (the folder would be sealed with lines missing)."""
    from orgscan.files import write_failure

    run_log = handlers.pop(0)
    for shared in handlers:
        failure = getattr(shared, "failure", None)
        if failure is not None:
            logging.getLogger(__name__).warning(
                "%s: lines of this run missing from its first failed write on (%s)",
                failure.filename,
                failure.strerror or failure,
            )
    stop(run_log)
    failure = getattr(run_log, "failure", None)
    if failure is not None:
        raise write_failure(failure, "the run folder is incomplete", Path(failure.filename))
