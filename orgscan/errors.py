"""Domain errors that the CLI maps to exit codes (one place: ``orgscan.cli``)."""

from __future__ import annotations


class InputError(ValueError):
    """Bad input from the user (flags, config, ids, run folders): exit 2, nothing written.

    The message is one short line that names the problem.
    """


class CredentialsError(InputError):
    """No usable AWS credentials, or the caller cannot be identified."""


class UntrustedRunError(Exception):
    """A run folder does not match its manifest, or its findings do not follow from its
    recorded evidence: exit 1 (as ``verify``), nothing written or changed. One line that names
    what differs."""


class AwsUnavailableError(Exception):
    """AWS could not answer before the scan began (throttling, an outage, the network).

    Not bad input: the evidence is incomplete (exit 3), and trying again later may succeed.
    Nothing is written. The message is one short line that names the AWS error.
    """


class ScanNotStarted(Exception):
    """Ctrl-C or SIGTERM arrived before the scan began: nothing was gathered and nothing
    written. Exit 3, as when AWS does not answer: the evidence is incomplete. One short line.
    """


class EvidenceWriteError(Exception):
    """The run folder could not be written: a full disk, a read-only folder, a directory where a
    report goes, or an interruption while writing. Exit 4; the run folder stays incomplete (no
    manifest) and ``latest`` is not moved to it. The message is one short line.
    """


class WriteInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM arrived while the run folder was being written: writing stops at once
    (a scheduler's grace period is short) and the folder is left incomplete."""
