"""The ``orgscan`` logger's state, kept across a test that runs a scan command."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def orgscan_logger_kept() -> Iterator[None]:
    """The scan command configures the ``orgscan`` logger; give it back as it was."""
    logger = logging.getLogger("orgscan")
    saved = (logger.level, logger.propagate)
    try:
        yield
    finally:
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
