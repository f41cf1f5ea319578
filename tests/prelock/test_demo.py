"""The demo's bucket locked in place: its files from before the lock are found.

moto cannot build such a bucket (a default retention needs an empty bucket, and then every
file put gets it): the demo puts its files after the lock and ``denials.prelock_files``
answers ``HeadObject`` for the October ones without retention, as AWS answers for files
written before the lock. The in-process responder answers from the description the same way
(``tests/bench/test_fakeaws.py`` compares the two).
"""

from __future__ import annotations

from orgscan.aws.sessions import SessionFactory
from orgscan.model import IntegrityCode, ScanResult, Status
from orgscan.prelock.step import count_prelock
from orgscan.prelock_count import PrelockSource
from orgscan.scan import scan_organization
from orgscan.simulate import SimulatedOrg
from orgscan.simulate.denials import simulated_answers
from tests.builders import settings_for


def _scan(org: SimulatedOrg) -> ScanResult:
    sessions = SessionFactory(max_pool_connections=4, configure_session=simulated_answers(org))
    return count_prelock(scan_organization(settings_for(org), sessions), sessions, org.policy)


def test_the_bucket_locked_in_place_shows_its_unprotected_files(demo_org: SimulatedOrg) -> None:
    result = _scan(demo_org)
    counted = {f.bucket_name: f.prelock for f in result.findings if f.prelock is not None}
    analytics = counted.pop("acme-analytics-prod-cloudtrail")
    assert analytics is not None
    # 9 files: 5 from October without retention, 4 after the lock. The sample reads the 4
    # oldest, the newest, then bisects: the 6th (protected), the 5th (not): 7 of 9, and
    # every unprotected one found.
    assert (analytics.source, analytics.checked, analytics.unprotected) == (
        PrelockSource.SAMPLE,
        7,
        5,
    )
    assert analytics.verdict == "WARN"
    # ...and its trails carry the PRELOCK integrity entry, last, with the count's sentence.
    entries = [
        f.integrity[-1]
        for f in result.findings
        if f.bucket_name == "acme-analytics-prod-cloudtrail"
    ]
    assert entries
    assert {(e.check, e.status, e.detail) for e in entries} == {
        (IntegrityCode.PRELOCK, Status.WARN, analytics.sentence())
    }
    assert "5 of 7 sampled log files have no retention in force" in entries[0].detail
    assert analytics.oldest_unprotected is not None
    # Every other PASS bucket of the demo holds no log file: checked 0, which says nothing.
    assert counted
    assert all((c.checked, c.unprotected, c.error) == (0, 0, None) for c in counted.values())
    assert all(f.prelock is None for f in result.findings if f.status is not Status.PASS)
    # No count, no PRELOCK entry (not a PASS bucket).
    assert all(
        IntegrityCode.PRELOCK not in {c.check for c in f.integrity}
        for f in result.findings
        if f.status is not Status.PASS
    )
