"""The run's headline: whether the accounts are protected, and whether the trails' buckets pass.

Two questions, one sentence. An organization trail into a locked bucket can protect every
account while hundreds of account trails deliver into buckets that fail the rule; the run then
exits 1, and its headline must say so and never be drawn green. The page, the workbook's
Summary and the terminal summary all print ``headline``'s sentence.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from orgscan.exceptions_register import excepted_for_exit
from orgscan.model import ReasonCode, ScanResult, Status
from orgscan.reports.standings import AccountsView

#: A failing bucket's reason in the words of "N trails deliver into buckets that fail: ...",
#: in the order they are listed (the contract's order of reasons).
FAILURE_WORDS: dict[ReasonCode, str] = {
    ReasonCode.BUCKET_MISSING: "missing",
    ReasonCode.BUCKET_OUTSIDE_ORGANIZATION: "outside the organization",
    ReasonCode.LOCK_NOT_CONFIGURED: "without Object Lock",
    ReasonCode.NO_DEFAULT_RETENTION: "without default retention",
    ReasonCode.MODE_NOT_ALLOWED: "in a mode the policy does not allow",
    ReasonCode.RETENTION_TOO_SHORT: "with too short a retention",
}


@dataclass(frozen=True)
class Headline:
    """The headline sentence and the status it is drawn in (None: no verdict, grey)."""

    sentence: str
    status: Status | None
    #: Trails whose bucket fails the rule and that count towards the exit code.
    failing_trails: int


def headline(result: ScanResult, view: AccountsView) -> Headline:
    """The account verdict sentence of ``view``, followed by the trails whose bucket fails."""
    failing = [f for f in result.findings if f.status is Status.FAIL and not excepted_for_exit(f)]
    if not failing:
        return Headline(view.sentence, view.headline_status, 0)
    by_reason = Counter(f.reason_code for f in failing)
    parts = [
        f"{by_reason[code]} {words}" for code, words in FAILURE_WORDS.items() if by_reason[code]
    ]
    parts += [  # a reason added later still counts, in its own name
        f"{count} {code.value}" for code, count in by_reason.items() if code not in FAILURE_WORDS
    ]
    trails = f"{len(failing)} trail{'' if len(failing) == 1 else 's'}"
    verb = "delivers" if len(failing) == 1 else "deliver"
    clause = f"{trails} {verb} into buckets that fail: {', '.join(parts)}."
    # The accounts may all be protected (an organization trail) while trails still fail.
    joint = ", but " if view.headline_status is Status.PASS else "; "
    return Headline(view.sentence.rstrip(".") + joint + clause, Status.FAIL, len(failing))
