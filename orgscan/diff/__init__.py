"""What changed between two runs: every trail of either run, classified, and ``diff.json``.

Trails are matched by ``trail_arn`` over the union of both runs, so every trail of either run has
exactly one entry. "Failing" means WARN or FAIL; severity is PASS < WARN < FAIL, and ERROR ("could
not tell") stands apart. The classes, in the order they are listed:

``new_failure``
    Failing now and not failing at this level before: the trail is new, or was PASS or ERROR,
    or got worse (WARN → FAIL).
``resolved``
    Failing before and PASS now (the trail is in both runs).
``still_failing``
    Failing in both runs (FAIL → WARN is an improvement but still failing; the status change is
    listed among the changes).
``changed``
    Not failing in either run, but something about the trail changed: its facts (status PASS ↔
    ERROR, retention, mode, bucket, versioning, reason, exception …), or it appeared (presence
    ``added``, PASS or ERROR).
``unchanged``
    In both runs, not failing in either, every compared field equal.
``not_assessed``
    Missing from the new run because its account or home region was not scanned there (out of
    scope, closed, role or region failure): absence of evidence is not a fix.
``removed``
    Missing from the new run although its account and home region were scanned: the trail is
    gone. A trail that disappears is a risk to show, never counted as resolved.

Account verdicts are diffed the same way (``accounts`` in ``diff.json``): an account whose
verdict fails now and did not before is ``new_failure``, one that is no longer scanned is
``not_assessed``, one that left the organization is ``removed``.

Each entry also carries a ``contract_class`` in the v1 contract's four classes: ``new_failure`` →
new, ``resolved`` → resolved, ``changed``/``not_assessed``/``removed`` → changed, ``unchanged``
→ unchanged, and ``still_failing`` → changed when any field changed, unchanged otherwise.

``diff_results`` is pure (``classify``); the values it returns are in ``model``. ``diff.json`` is
written into the newer run folder by ``write_diff`` and read by ``load_diff`` (``document``); the
previous run of an output folder is found by ``orgscan.runs.history.diff_against_previous`` (this
package imports nothing of ``runs``, so reports may import it). Everything public is imported
from ``orgscan.diff``.
"""

from orgscan.diff.classify import diff_results
from orgscan.diff.document import (
    DIFF_FILE,
    DiffFileError,
    diff_from_dict,
    diff_to_dict,
    dumps_diff,
    load_diff,
    write_diff,
)
from orgscan.diff.model import (
    ContractClass,
    DiffClass,
    DiffEntry,
    FieldChange,
    Presence,
    RunDiff,
    RunRef,
)

__all__ = [
    "DIFF_FILE",
    "ContractClass",
    "DiffClass",
    "DiffEntry",
    "DiffFileError",
    "FieldChange",
    "Presence",
    "RunDiff",
    "RunRef",
    "diff_from_dict",
    "diff_results",
    "diff_to_dict",
    "dumps_diff",
    "load_diff",
    "write_diff",
]
