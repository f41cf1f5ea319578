"""The account verdicts as the reports show them: one sentence, a row per account, per-OU counts.

The auditor's question is per account: is its activity recorded into a locked bucket in every
scanned region? ``accounts[].verdict`` answers it (contract v2). An account whose verdict is
absent is never shown as protected: it is "not scanned" when the scan did not read it, and "not
assessed" when it was read by a run (or a ``findings.json``) that did not judge accounts.
The workbook and the page both build on this module, so they say the same thing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from orgscan.model import (
    AccountCoverage,
    AccountGap,
    AccountVerdictCode,
    GapWhy,
    ScanResult,
    Status,
)


class Standing(StrEnum):
    """What the reports say about one account, from its verdict (most urgent first)."""

    NOT_PROTECTED = "not protected"
    COULD_NOT_TELL = "could not tell"
    PARTLY_PROTECTED = "partly protected"
    NOT_ASSESSED = "not assessed"
    PROTECTED = "protected"
    NOT_SCANNED = "not scanned"


#: Sort rank of each standing: the order above.
STANDING_RANK: dict[Standing, int] = {standing: rank for rank, standing in enumerate(Standing)}

#: The status badge a standing is drawn with (None: no status, drawn grey and in words).
STANDING_STATUS: dict[Standing, Status | None] = {
    Standing.NOT_PROTECTED: Status.FAIL,
    Standing.COULD_NOT_TELL: Status.ERROR,
    Standing.PARTLY_PROTECTED: Status.WARN,
    Standing.NOT_ASSESSED: None,
    Standing.PROTECTED: Status.PASS,
    Standing.NOT_SCANNED: None,
}

#: A region gap's code in a few words.
GAP_WORDS: dict[AccountVerdictCode, str] = {
    AccountVerdictCode.NOT_RECORDED: "not recorded",
    AccountVerdictCode.UNPROTECTED: "recorded into an unlocked bucket",
    AccountVerdictCode.UNKNOWN: "could not tell",
    AccountVerdictCode.PROTECTED: "protected",
}

#: Why a region is not recorded, in a few words (the other codes say it themselves).
WHY_WORDS: dict[GapWhy, str] = {
    GapWhy.NO_TRAIL: "no trail",
    GapWhy.NOT_LOGGING: "trail not logging",
    GapWhy.MANAGEMENT_EVENTS: "not all management events",
    GapWhy.EXCLUDED_SOURCES: "event sources excluded",
    GapWhy.NOT_DELIVERING: "trail not delivering",
    GapWhy.NO_GLOBAL_EVENTS: "no global service events",
}

#: Regions named in the verdict sentence before "and N more regions".
REGIONS_NAMED = 3


def standing(account: AccountCoverage) -> Standing:
    """How the reports classify ``account`` (never PROTECTED without a PASS verdict)."""
    if not account.scanned:
        return Standing.NOT_SCANNED
    if account.verdict is None:
        return Standing.NOT_ASSESSED
    return {
        Status.PASS: Standing.PROTECTED,
        Status.FAIL: Standing.NOT_PROTECTED,
        Status.WARN: Standing.PARTLY_PROTECTED,
        Status.ERROR: Standing.COULD_NOT_TELL,
    }[account.verdict]


@dataclass(frozen=True)
class AccountRow:
    """One account as the accounts view and the ``Accounts`` sheet show it."""

    account_id: str
    name: str | None
    ou_path: str | None
    standing: Standing
    verdict: Status | None
    verdict_code: AccountVerdictCode | None
    gaps: tuple[AccountGap, ...]
    protected_by: tuple[str, ...]
    #: Why the account is, or is not, part of the evidence (``scanned in 17 region(s)``, ...).
    note: str
    #: The gaps in words (``gaps_text``), empty without any.
    gaps_text: str = ""

    @property
    def label(self) -> str:
        """``Name (123456789012)``, or the id alone."""
        return f"{self.name} ({self.account_id})" if self.name else self.account_id

    @property
    def badge(self) -> str:
        """The status shown on the badge: the verdict, or ``—`` without one."""
        return self.verdict.value if self.verdict is not None else "—"

    @property
    def protected_by_names(self) -> tuple[str, ...]:
        """The protecting trails' names (the ARN's last part), in ``protected_by`` order."""
        return tuple(arn.rpartition("/")[2] or arn for arn in self.protected_by)


def gaps_text(gaps: Iterable[AccountGap], regions: Sequence[str] = ()) -> str:
    """The gaps grouped by code, codes in verdict order, regions sorted:
    ``not recorded: eu-west-1, us-east-2; could not tell: ap-south-1``. One code over every
    region of the run (``regions``) reads ``not recorded: all 17 scanned regions``."""
    by_code: dict[tuple[AccountVerdictCode, str], list[str]] = {}
    for gap in gaps:
        by_code.setdefault((gap.code, _gap_words(gap)), []).append(gap.region)
    if len(by_code) == 1 and len(regions) > 1:
        (((_, words), found),) = by_code.items()
        if set(found) == set(regions):
            return f"{words}: all {len(regions)} scanned regions"
    order = list(AccountVerdictCode)
    return "; ".join(
        f"{words}: {', '.join(sorted(by_code[(code, words)]))}"
        for code, words in sorted(by_code, key=lambda key: (order.index(key[0]), key[1]))
    )


def _gap_words(gap: AccountGap) -> str:
    """``not recorded (trail not delivering)``: the code, and why when it adds something."""
    why = WHY_WORDS.get(gap.why) if gap.why is not None else None
    return f"{GAP_WORDS[gap.code]} ({why})" if why else GAP_WORDS[gap.code]


@dataclass(frozen=True)
class OuGroup:
    """The accounts of one OU, worst first, with their count per standing."""

    ou_path: str
    rows: tuple[AccountRow, ...]
    counts: tuple[tuple[Standing, int], ...]

    @property
    def attention(self) -> int:
        """Accounts that are not protected or could not be told."""
        return sum(
            count
            for standing, count in self.counts
            if standing
            in (Standing.NOT_PROTECTED, Standing.COULD_NOT_TELL, Standing.PARTLY_PROTECTED)
        )


@dataclass(frozen=True)
class AccountsView:
    """Every account of the run with its standing, and the sentence that sums them up."""

    rows: tuple[AccountRow, ...]
    counts: tuple[tuple[Standing, int], ...]
    sentence: str
    #: Further sentences: accounts that could not be told, accounts not scanned.
    details: tuple[str, ...]
    #: The accounts a reader must act on (not protected), worst first.
    unprotected: tuple[AccountRow, ...]
    groups: tuple[OuGroup, ...]

    def count(self, which: Standing) -> int:
        """How many accounts have ``which`` standing."""
        return dict(self.counts).get(which, 0)

    @property
    def headline_status(self) -> Status | None:
        """The colour of the verdict line: the worst standing that has accounts."""
        for which, count in self.counts:
            if count and STANDING_STATUS[which] is not None:
                return STANDING_STATUS[which]
        return None


def accounts_view(result: ScanResult, notes: dict[str, str] | None = None) -> AccountsView:
    """The accounts of ``result``, worst first, their OU groups and the verdict sentence.

    ``notes`` gives each account's coverage note (``summary.coverage_note``) by id.
    """
    notes = notes or {}
    rows = sorted(
        (
            _row(account, notes.get(account.account_id, ""), result.run.regions)
            for account in result.accounts
        ),
        key=lambda row: (STANDING_RANK[row.standing], row.ou_path or "", row.account_id),
    )
    counts = _counts(rows)
    sentence, details = verdict_sentences(rows)
    groups: dict[str, list[AccountRow]] = {}
    for row in rows:
        groups.setdefault(row.ou_path or "(no OU)", []).append(row)
    ou_groups = tuple(
        OuGroup(ou, tuple(members), _counts(members)) for ou, members in sorted(groups.items())
    )
    return AccountsView(
        rows=tuple(rows),
        counts=counts,
        sentence=sentence,
        details=details,
        unprotected=tuple(
            row
            for row in rows
            if row.standing in (Standing.NOT_PROTECTED, Standing.PARTLY_PROTECTED)
        ),
        groups=ou_groups,
    )


def _row(account: AccountCoverage, note: str, regions: Sequence[str]) -> AccountRow:
    gaps = tuple(sorted(account.gaps, key=lambda gap: gap.region)) if account.scanned else ()
    return AccountRow(
        account_id=account.account_id,
        name=account.name,
        ou_path=account.ou_path,
        standing=standing(account),
        verdict=account.verdict if account.scanned else None,
        verdict_code=account.verdict_code if account.scanned else None,
        gaps=gaps,
        protected_by=tuple(sorted(account.protected_by)),
        note=note,
        gaps_text=gaps_text(gaps, regions),
    )


def _counts(rows: Sequence[AccountRow]) -> tuple[tuple[Standing, int], ...]:
    found = Counter(row.standing for row in rows)
    return tuple((which, found[which]) for which in Standing)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def verdict_sentences(rows: Sequence[AccountRow]) -> tuple[str, tuple[str, ...]]:
    """The verdict in one sentence, then the sentences that qualify it."""
    found = Counter(row.standing for row in rows)
    scanned = len(rows) - found[Standing.NOT_SCANNED]
    unprotected = [
        row for row in rows if row.standing in (Standing.NOT_PROTECTED, Standing.PARTLY_PROTECTED)
    ]
    unknown = found[Standing.COULD_NOT_TELL]
    unassessed = found[Standing.NOT_ASSESSED]
    details: list[str] = []
    if not rows:
        return "This run lists no accounts: no account verdict can be given.", ()
    if scanned == 0:
        sentence = (
            "No account was scanned: nothing can be said about whether this "
            "organization's activity is recorded into a locked bucket."
        )
    elif unassessed == scanned:
        sentence = (
            f"The {_plural(scanned, 'scanned account')} were not assessed: this run "
            "did not judge accounts, so read the findings below trail by trail."
        )
        if scanned == 1:
            sentence = (
                "The scanned account was not assessed: this run did not judge "
                "accounts, so read the findings below trail by trail."
            )
    elif unprotected:
        verb = "is" if len(unprotected) == 1 else "are"
        their = "its" if len(unprotected) == 1 else "their"
        sentence = (
            f"{len(unprotected)} of {_plural(scanned, 'scanned account')} {verb} "
            f"not protected: {their} activity is not recorded into a locked bucket "
            f"in {_regions_phrase(unprotected)}."
        )
    elif unknown:
        sentence = (
            f"No scanned account is known to be unprotected, but {unknown} of "
            f"{_plural(scanned, 'scanned account')} could not be assessed."
        )
    else:
        sentence = (
            f"All {_plural(scanned, 'scanned account')} are protected: their "
            "activity is recorded into a locked bucket in every scanned region."
        )
        if scanned == 1:
            sentence = (
                "The scanned account is protected: its activity is recorded into a "
                "locked bucket in every scanned region."
            )
    if unknown and unprotected:
        details.append(
            f"{_plural(unknown, 'more account')} could not be assessed: what "
            "decides the verdict could not be read."
        )
    if unassessed and unassessed != scanned:
        details.append(
            f"{_plural(unassessed, 'scanned account')} "
            f"{'was' if unassessed == 1 else 'were'} not assessed."
        )
    if found[Standing.NOT_SCANNED]:
        one = found[Standing.NOT_SCANNED] == 1
        details.append(
            f"{_plural(found[Standing.NOT_SCANNED], 'account')} of the organization "
            f"{'was' if one else 'were'} not scanned and "
            f"{'is' if one else 'are'} not part of this verdict."
        )
    return sentence, tuple(details)


def _regions_phrase(rows: Sequence[AccountRow]) -> str:
    """``eu-west-1 (3 accounts), us-east-1 (1 account) and 2 more regions``."""
    per_region = Counter(
        gap.region for row in rows for gap in row.gaps if gap.code is not AccountVerdictCode.UNKNOWN
    )
    if not per_region:
        return "some scanned region"
    ranked = sorted(per_region.items(), key=lambda item: (-item[1], item[0]))
    named = ranked[:REGIONS_NAMED]
    many = len(rows) > 1
    parts = [
        f"{region} ({_plural(count, 'account')})" if many else region for region, count in named
    ]
    rest = len(ranked) - len(named)
    if rest:
        return ", ".join(parts) + f" and {_plural(rest, 'more region')}"
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " and " + parts[-1]
