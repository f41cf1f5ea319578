"""Whether a run folder may be acted on: the one rule of ``report``, ``remediate`` and ``publish``.

A run folder is read long after the scan sealed it, by people and jobs who did not watch it being
written, and anyone with write access to the output folder can change it. Rebuilding its reports,
applying its remediation or importing its findings elsewhere must rest on what the scan wrote,
not on what someone wrote since:

- A run with a manifest must match it: every file it lists present and unchanged, nothing added
  but the remediation records ``remediate --apply`` writes after the seal. Not only
  ``findings.json``: the plan's settings, the diff and the recorded evidence feed these commands
  too, and a command cannot tell which edit is harmless. A file the command rebuilds from the
  others (``report``'s report files) may be missing: it is written back as the scan wrote it.
- A run of findings schema 2 or later always ends with its manifest: without one it either did
  not finish or had its seal removed, and is refused unless forced (the caller says so, and the
  warning is returned for it to print and log). Schema 1 runs predate manifests.
- Acting on AWS or on another system's view of it (``remediate --apply``, ``publish``) also
  re-derives the findings from the recorded AWS responses (``verify --recompute``): a forger who
  rewrote ``findings.json`` and re-sealed the manifest is caught there. Only a copy kept out of
  reach (``--evidence-bucket``) protects against someone who can rewrite every file, the
  evidence included.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orgscan.errors import UntrustedRunError
from orgscan.evidence.manifest import NotARunFolderError, verify_folder
from orgscan.findings import (
    folder_problem,
    load_run,
    load_run_and_version,
)
from orgscan.model import ScanResult
from orgscan.remediation.planfile import is_apply_record
from orgscan.runs.folder import MANIFEST_FILE
from orgscan.wording import plural

#: The first findings.json schema whose runs are always sealed by a manifest.
SEALED_SCHEMA_VERSION = 2
# How many differences a refusal names before "and N more": it is one line.
_NAMED = 3


@dataclass(frozen=True)
class TrustedRun:
    """A run folder that may be acted on, and its findings.

    ``warning`` is set when it was accepted only because the caller forced it: it has no
    manifest, so nothing shows that its files are the scan's.
    """

    result: ScanResult
    sealed: bool
    recomputed: bool
    warning: str | None = None


def trusted_run(
    run_dir: Path,
    *,
    purpose: str,
    recompute: bool = False,
    force: bool = False,
    rebuilt: frozenset[str] = frozenset(),
) -> TrustedRun:
    """``run_dir``'s findings, once the folder is shown to be what the scan wrote.

    ``purpose`` completes "refusing to ..." in a refusal. ``recompute`` also re-derives every
    finding from the recorded AWS responses; ``force`` accepts a sealed-schema run without a
    manifest (never one that does not match its manifest); ``rebuilt`` names the files the
    caller writes anew, which may be missing.

    Raises ``NotARunFolderError`` or ``FindingsFileError`` (input errors) for a path that is not
    a run folder, a manifest that is malformed, or a findings.json that cannot be read — and,
    unless forced, for a sealed-schema run without its manifest; ``EvidenceFileError`` when
    ``recompute`` finds no usable evidence file; ``UntrustedRunError`` for a run that does not
    match its manifest or whose findings the evidence does not give. Reads only.
    """
    problem = folder_problem(run_dir)
    if problem is not None:
        raise NotARunFolderError(f"{run_dir}: not a run folder ({problem})")
    sealed = (run_dir / MANIFEST_FILE).exists()
    warning = None
    if sealed:
        # The manifest first: an edited findings.json is "changed", whatever it now holds.
        _check_manifest(run_dir, purpose, rebuilt)
        result = load_run(run_dir)
    else:
        result, version = load_run_and_version(run_dir)
        if version >= SEALED_SCHEMA_VERSION:
            if not force:
                raise NotARunFolderError(
                    f"{run_dir / MANIFEST_FILE}: missing (the run did not finish, or its seal "
                    f"was removed); refusing to {purpose}. Give --force to use it anyway"
                )
            warning = (
                f"{run_dir}: no {MANIFEST_FILE}, used anyway (--force): nothing shows that its "
                "files are the ones the scan wrote"
            )
    if recompute:
        # Imported here: only the commands that act need the replay machinery.
        from orgscan.evidence.recompute import recompute_run

        differences = recompute_run(run_dir)
        if differences:
            raise UntrustedRunError(
                f"{run_dir}: findings.json differs from the recorded AWS responses in "
                f"{plural(len(differences), 'place')}, first: {differences[0]}; "
                f"refusing to {purpose}"
            )
    return TrustedRun(result=result, sealed=sealed, recomputed=recompute, warning=warning)


def _check_manifest(run_dir: Path, purpose: str, rebuilt: frozenset[str]) -> None:
    """``UntrustedRunError`` unless ``run_dir`` matches its manifest (see the module)."""
    outcome = verify_folder(run_dir)  # a malformed manifest: NotARunFolderError
    problems = [f"{name} changed" for name in outcome.changed]
    problems += [f"{name} missing" for name in outcome.missing if name not in rebuilt]
    problems += [f"{name} added" for name in outcome.added if not is_apply_record(name)]
    if problems:
        more = f" and {len(problems) - _NAMED} more" if len(problems) > _NAMED else ""
        raise UntrustedRunError(
            f"{run_dir}: does not match its {MANIFEST_FILE} "
            f"({', '.join(problems[:_NAMED])}{more}); refusing to {purpose}. "
            "`orgscan verify` names every difference"
        )
