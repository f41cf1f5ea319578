"""orgscan: audits an AWS Organization for Object Lock on its CloudTrail log buckets."""

import logging

# The one place the version is written: pyproject.toml reads it from here (setuptools'
# dynamic version), so `orgscan --version` needs no importlib.metadata look-up (~40 ms).
__version__ = "0.1.0"

__all__ = ["__version__"]

# A library's loggers print nothing until their application configures logging (the logging
# HOWTO's advice for libraries): without this, a command that reports an error in one line
# (`orgscan report` on a read-only folder) also had it printed by logging's last-resort handler.
logging.getLogger(__name__).addHandler(logging.NullHandler())
