"""Account verdicts, table-tested against the contract's table and ranking."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orgscan.model import (
    AccountCoverage,
    AccountVerdictCode,
    Finding,
    GapWhy,
    ManagementEvents,
    ReasonCode,
    Status,
)
from orgscan.verdicts import AccountRegions, account_verdict, with_verdicts
from tests import builders

MGMT, APP, OTHER = "111111111111", "222222222222", "333333333333"
E1, W2 = "us-east-1", "eu-west-2"
C = AccountVerdictCode
ALL, READ = ManagementEvents.ALL, ManagementEvents.READ_ONLY
_CODE = {
    Status.PASS: ReasonCode.COMPLIANT,
    Status.WARN: ReasonCode.NO_DEFAULT_RETENTION,
    Status.FAIL: ReasonCode.LOCK_NOT_CONFIGURED,
    Status.ERROR: ReasonCode.ACCESS_DENIED,
}


def trail(
    name: str,
    owner: str = APP,
    *,
    home: str = E1,
    multi: bool = True,
    org: bool = False,
    status: Status = Status.PASS,
    logging: bool | None = True,
    events: ManagementEvents | None = ALL,
) -> Finding:
    """A finding for trail ``name`` with the given health and bucket status."""
    return builders.finding(
        account_id=owner,
        trail_name=name,
        home_region=home,
        is_organization_trail=org,
        is_multi_region=multi,
        status=status,
        reason_code=_CODE[status],
        reason="because",
        **builders.NOT_READ,
        is_logging=logging,
        management_events=events,
    )


BOTH = AccountRegions(scanned=(E1, W2))

TABLE = [
    pytest.param(
        [trail("all")], BOTH, Status.PASS, C.PROTECTED, [], ["all"], id="one-multi-region-trail"
    ),
    pytest.param(
        [trail("org", MGMT, org=True)],
        BOTH,
        Status.PASS,
        C.PROTECTED,
        [],
        ["org"],
        id="organization-trail",
    ),
    pytest.param(
        [trail("mgmt-own", MGMT)],
        BOTH,
        Status.FAIL,
        C.NOT_RECORDED,
        [(E1, C.NOT_RECORDED), (W2, C.NOT_RECORDED)],
        [],
        id="another-accounts-trail-records-nothing-here",
    ),
    pytest.param(
        [trail("local", multi=False)],
        BOTH,
        Status.FAIL,
        C.NOT_RECORDED,
        [(W2, C.NOT_RECORDED)],
        ["local"],
        id="single-region-only",
    ),
    pytest.param(
        [trail("stopped", logging=False)],
        BOTH,
        Status.FAIL,
        C.NOT_RECORDED,
        [(E1, C.NOT_RECORDED), (W2, C.NOT_RECORDED)],
        [],
        id="stopped-trail",
    ),
    pytest.param(
        [trail("reads", events=READ)],
        BOTH,
        Status.FAIL,
        C.NOT_RECORDED,
        [(E1, C.NOT_RECORDED), (W2, C.NOT_RECORDED)],
        [],
        id="read-only-events",
    ),
    pytest.param(
        [trail("none", events=ManagementEvents.NONE)],
        BOTH,
        Status.FAIL,
        C.NOT_RECORDED,
        [(E1, C.NOT_RECORDED), (W2, C.NOT_RECORDED)],
        [],
        id="no-management-events",
    ),
    pytest.param(
        [trail("unlocked", status=Status.FAIL)],
        BOTH,
        Status.FAIL,
        C.UNPROTECTED,
        [(E1, C.UNPROTECTED), (W2, C.UNPROTECTED)],
        [],
        id="unlocked-bucket",
    ),
    pytest.param(
        [trail("warned", status=Status.WARN)],
        BOTH,
        Status.WARN,
        C.UNPROTECTED,
        [(E1, C.UNPROTECTED), (W2, C.UNPROTECTED)],
        [],
        id="warn-bucket",
    ),
    pytest.param(
        [trail("warned", status=Status.WARN), trail("bad", status=Status.FAIL)],
        BOTH,
        Status.WARN,
        C.UNPROTECTED,
        [(E1, C.UNPROTECTED), (W2, C.UNPROTECTED)],
        [],
        id="best-status-among-a-regions-recording-trails",
    ),
    pytest.param(
        [
            trail("warned", multi=False, status=Status.WARN),
            trail("bad", home=W2, multi=False, status=Status.FAIL),
        ],
        BOTH,
        Status.FAIL,
        C.UNPROTECTED,
        [(E1, C.UNPROTECTED), (W2, C.UNPROTECTED)],
        [],
        id="worst-over-regions",
    ),
    pytest.param(
        [trail("denied", status=Status.ERROR)],
        BOTH,
        Status.ERROR,
        C.UNKNOWN,
        [(E1, C.UNKNOWN), (W2, C.UNKNOWN)],
        [],
        id="error-finding",
    ),
    pytest.param(
        [trail("blind", logging=None)],
        BOTH,
        Status.ERROR,
        C.UNKNOWN,
        [(E1, C.UNKNOWN), (W2, C.UNKNOWN)],
        [],
        id="unreadable-status",
    ),
    pytest.param(
        [trail("blind", events=None)],
        BOTH,
        Status.ERROR,
        C.UNKNOWN,
        [(E1, C.UNKNOWN), (W2, C.UNKNOWN)],
        [],
        id="unreadable-selectors",
    ),
    pytest.param(
        [trail("blind", logging=None, status=Status.FAIL)],
        BOTH,
        Status.FAIL,
        C.NOT_RECORDED,
        [(E1, C.NOT_RECORDED), (W2, C.NOT_RECORDED)],
        [],
        id="failing-whatever-the-unread-status",
    ),
    pytest.param(
        [trail("all"), trail("blind", logging=None)],
        BOTH,
        Status.PASS,
        C.PROTECTED,
        [],
        ["all"],
        id="an-unread-trail-does-not-matter-when-another-protects",
    ),
    pytest.param(
        [trail("local", multi=False), trail("blind", home=W2, multi=False, status=Status.ERROR)],
        BOTH,
        Status.ERROR,
        C.UNKNOWN,
        [(W2, C.UNKNOWN)],
        ["local"],
        id="unknown-region",
    ),
    pytest.param(
        [trail("local", multi=False, status=Status.WARN)],
        BOTH,
        Status.FAIL,
        C.NOT_RECORDED,
        [(E1, C.UNPROTECTED), (W2, C.NOT_RECORDED)],
        [],
        id="not-recorded-beats-unprotected",
    ),
    pytest.param(
        [
            trail("local", multi=False, status=Status.WARN),
            trail("blind", home=W2, multi=False, logging=None),
        ],
        BOTH,
        Status.ERROR,
        C.UNKNOWN,
        [(E1, C.UNPROTECTED), (W2, C.UNKNOWN)],
        [],
        id="unknown-beats-warn",
    ),
    # Regions that could not be scanned.
    pytest.param(
        [trail("all")],
        AccountRegions(scanned=(E1,), failed=(W2,)),
        Status.PASS,
        C.PROTECTED,
        [],
        ["all"],
        id="failed-region-protected-from-elsewhere",
    ),
    pytest.param(
        [trail("local", multi=False)],
        AccountRegions(scanned=(E1,), failed=(W2,)),
        Status.ERROR,
        C.UNKNOWN,
        [(W2, C.UNKNOWN)],
        ["local"],
        id="failed-region-unknown",
    ),
    pytest.param(
        [trail("local", multi=False, status=Status.FAIL)],
        AccountRegions(scanned=(E1,), failed=(W2,)),
        Status.FAIL,
        C.UNPROTECTED,
        [(E1, C.UNPROTECTED), (W2, C.UNKNOWN)],
        [],
        id="fail-beats-unknown",
    ),
    pytest.param(
        [], AccountRegions(scanned=()), Status.ERROR, C.UNKNOWN, [], [], id="no-region-scanned"
    ),
]


@pytest.mark.parametrize(("findings", "regions", "verdict", "code", "gaps", "protected_by"), TABLE)
def test_account_verdict_table(
    findings: list[Finding],
    regions: AccountRegions,
    verdict: Status,
    code: AccountVerdictCode,
    gaps: list[tuple[str, AccountVerdictCode]],
    protected_by: list[str],
) -> None:
    result = account_verdict(APP, regions, findings)
    assert (result.verdict, result.verdict_code) == (verdict, code)
    assert [(gap.region, gap.code) for gap in result.gaps] == sorted(gaps)
    arns = {f.trail_arn.rsplit("/", 1)[1]: f.trail_arn for f in findings}
    assert result.protected_by == tuple(sorted(arns[name] for name in protected_by))


def test_with_verdicts_fills_scanned_accounts_only() -> None:
    accounts = [
        AccountCoverage(APP, "app", "/Root", "ACTIVE", True, 2, None),
        AccountCoverage(OTHER, "gone", "/Root", "SUSPENDED", False, 0, None),
        AccountCoverage(MGMT, "mgmt", "/Root", "ACTIVE", False, 0, "AccessDenied"),
    ]
    org = trail("org", MGMT, org=True)
    judged = with_verdicts(accounts, [org], {APP: BOTH})
    assert [(a.account_id, a.verdict, a.verdict_code) for a in judged] == [
        (APP, Status.PASS, C.PROTECTED),
        (OTHER, None, None),
        (MGMT, None, None),
    ]
    assert judged[0].protected_by == (org.trail_arn,)


def _only(finding: Finding, region: str = E1) -> tuple[Status, AccountVerdictCode, list[object]]:
    result = account_verdict(APP, AccountRegions(scanned=(region,)), [finding])
    return result.verdict, result.verdict_code, [(g.code, g.why) for g in result.gaps]


W = GapWhy


@pytest.mark.parametrize(
    ("finding", "why"),
    [
        # Each of these read as protected before contract v3.
        (trail("no-kms", events=ManagementEvents.PARTIAL), W.EXCLUDED_SOURCES),
        (dataclasses.replace(trail("stuck"), delivering=False), W.NOT_DELIVERING),
        (
            dataclasses.replace(trail("local", multi=False), global_service_events=False),
            W.NO_GLOBAL_EVENTS,
        ),
        (trail("stopped", logging=False), W.NOT_LOGGING),
        (trail("reads", events=READ), W.MANAGEMENT_EVENTS),
    ],
)
def test_a_trail_short_of_recording_leaves_a_not_recorded_gap_saying_why(
    finding: Finding, why: GapWhy
) -> None:
    assert _only(finding) == (Status.FAIL, C.NOT_RECORDED, [(C.NOT_RECORDED, why)])


def test_global_service_events_matter_only_in_the_global_events_region() -> None:
    local = dataclasses.replace(trail("local", home=W2, multi=False), global_service_events=False)
    assert _only(local, W2) == (Status.PASS, C.PROTECTED, [])
    gov = dataclasses.replace(
        trail("gov", home="us-gov-west-1", multi=False), global_service_events=False
    )
    assert _only(gov, "us-gov-west-1")[2] == [(C.NOT_RECORDED, W.NO_GLOBAL_EVENTS)]


def test_an_unread_global_events_flag_is_tried_both_ways() -> None:
    unread = dataclasses.replace(trail("old", multi=False), global_service_events=None)
    assert _only(unread) == (Status.ERROR, C.UNKNOWN, [(C.UNKNOWN, W.UNREADABLE)])


def test_a_gap_names_the_trail_that_came_closest() -> None:
    stopped = trail("stopped", logging=False)
    partial = trail("no-kms", events=ManagementEvents.PARTIAL)
    assert _only(stopped)[2] == [(C.NOT_RECORDED, W.NOT_LOGGING)]
    result = account_verdict(APP, AccountRegions(scanned=(E1,)), [stopped, partial])
    assert [(g.code, g.why) for g in result.gaps] == [(C.NOT_RECORDED, W.EXCLUDED_SOURCES)]


@pytest.mark.parametrize(
    ("findings", "regions", "gap"),
    [
        ([], AccountRegions(scanned=(E1,)), (C.NOT_RECORDED, W.NO_TRAIL)),
        (
            [trail("open", status=Status.FAIL)],
            AccountRegions(scanned=(E1,)),
            (C.UNPROTECTED, W.BUCKET),
        ),
        ([trail("dark", logging=None)], AccountRegions(scanned=(E1,)), (C.UNKNOWN, W.UNREADABLE)),
        ([], AccountRegions(scanned=(W2,), failed=(E1,)), (C.UNKNOWN, W.UNREADABLE)),
    ],
)
def test_every_gap_has_a_why(
    findings: list[Finding], regions: AccountRegions, gap: tuple[object, object]
) -> None:
    result = account_verdict(APP, regions, findings)
    assert {g.region: (g.code, g.why) for g in result.gaps}[E1] == gap


@given(
    st.lists(
        st.tuples(
            st.sampled_from([MGMT, APP, OTHER]),
            st.booleans(),
            st.booleans(),
            st.sampled_from([E1, W2]),
            st.sampled_from(list(Status)),
        ),
        max_size=8,
    )
)
def test_each_account_is_judged_as_if_it_read_every_finding(
    rows: list[tuple[str, bool, bool, str, Status]],
) -> None:
    # with_verdicts hands each account only its own trails and the organization's.
    findings = [
        trail(f"t{number}", owner, org=org, multi=multi, home=home, status=status)
        for number, (owner, org, multi, home, status) in enumerate(rows)
    ]
    accounts = [AccountCoverage(a, a, "/Root", "ACTIVE", True, 2, None) for a in (MGMT, APP, OTHER)]
    regions = {MGMT: BOTH, APP: AccountRegions(scanned=(E1,), failed=(W2,)), OTHER: BOTH}
    for judged in with_verdicts(accounts, findings, regions):
        alone = account_verdict(judged.account_id, regions[judged.account_id], findings)
        assert (judged.verdict, judged.verdict_code, judged.protected_by, judged.gaps) == (
            alone.verdict,
            alone.verdict_code,
            alone.protected_by,
            alone.gaps,
        )
