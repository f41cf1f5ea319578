"""Domain errors that the CLI maps to exit codes (one place: ``orgscan.cli``)."""

from __future__ import annotations


class InputError(ValueError):
    """Bad input from the user (flags, config, ids, run folders): exit 2, nothing written.

    The message is one short line that names the problem.
    """


class CredentialsError(InputError):
    """No usable AWS credentials, or the caller cannot be identified."""
