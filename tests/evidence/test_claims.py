"""Contract §5.5: a control label only where the run evidences it; the conditions of the
mapping file are a closed vocabulary, checked when it is loaded."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from orgscan.controls import (
    AppliesTo,
    Condition,
    ConditionKind,
    ControlsFileError,
    load_controls,
    parse_condition,
)
from orgscan.model import (
    AccountCoverage,
    AccountGap,
    AccountVerdictCode,
    IntegrityCheck,
    IntegrityCode,
    Policy,
    RequiredMode,
    RunInfo,
    RunScope,
    ScanResult,
    Status,
)
from orgscan.reports.claims import ClaimFacts, claimed, met, standings
from orgscan.reports.export_items import ExportItems, export_items
from tests.builders import finding

ROOT = Path(__file__).resolve().parents[2]
SEC = "SEC Rule 17a-4(f)"
PCI_RETENTION = "PCI DSS v4.0/10.5.1"
CIS_ALL_REGIONS = "CIS AWS Foundations Benchmark v1.4.0/3.1"
CIS_OLD = "CIS AWS Foundations Benchmark v1.2.0/2.1"
AU_11 = "NIST.800-53.r5 AU-11"


def facts(kind: AppliesTo = AppliesTo.FINDING, **overrides: Any) -> ClaimFacts:
    """Facts that meet every condition of the vocabulary; ``overrides`` take some away."""
    base = ClaimFacts(
        kind=kind,
        passed=True,
        require_mode=RequiredMode.COMPLIANCE,
        min_retention_days=365,
        multi_region_protection=True,
        all_enabled_regions_scanned=True,
    )
    return dataclasses.replace(base, **overrides)


def labels(given: ClaimFacts) -> set[str]:
    return {control.label for control in claimed(load_controls(), given)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("status = PASS", Condition(ConditionKind.STATUS_PASS)),
        ("status=PASS", Condition(ConditionKind.STATUS_PASS)),
        ("require_mode = COMPLIANCE", Condition(ConditionKind.REQUIRE_MODE, mode="COMPLIANCE")),
        ("require_mode=GOVERNANCE", Condition(ConditionKind.REQUIRE_MODE, mode="GOVERNANCE")),
        ("min_retention_days >= 365", Condition(ConditionKind.MIN_RETENTION_DAYS, days=365)),
        ("multi_region_protection", Condition(ConditionKind.MULTI_REGION_PROTECTION)),
        ("all_enabled_regions_scanned", Condition(ConditionKind.ALL_ENABLED_REGIONS_SCANNED)),
    ],
)
def test_the_vocabulary_parses(text: str, expected: Condition) -> None:
    assert parse_condition(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "status = FAIL",
        "require_mode = ANY",
        "min_retention_days > 365",
        "min_retention_days >= 0",
        "min_retention_days >= -1",
        "multi_region",
        "regions_scanned",
        "",
    ],
)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="unknown condition"):
        parse_condition(text)


@pytest.mark.parametrize(
    ("condition", "overrides", "expected"),
    [
        ("status = PASS", {}, True),
        ("status = PASS", {"passed": False}, False),
        ("require_mode = COMPLIANCE", {}, True),
        ("require_mode = COMPLIANCE", {"require_mode": RequiredMode.GOVERNANCE}, False),
        ("require_mode = COMPLIANCE", {"require_mode": RequiredMode.ANY}, False),
        ("require_mode = GOVERNANCE", {"require_mode": RequiredMode.COMPLIANCE}, True),
        ("require_mode = GOVERNANCE", {"require_mode": RequiredMode.GOVERNANCE}, True),
        ("require_mode = GOVERNANCE", {"require_mode": RequiredMode.ANY}, False),
        ("min_retention_days >= 365", {"min_retention_days": 365}, True),
        ("min_retention_days >= 365", {"min_retention_days": 364}, False),
        ("min_retention_days >= 365", {"min_retention_days": None}, False),
        ("min_retention_days >= 1", {"min_retention_days": 1}, True),
        ("multi_region_protection", {"multi_region_protection": False}, False),
        ("all_enabled_regions_scanned", {"all_enabled_regions_scanned": False}, False),
    ],
)
def test_each_condition(condition: str, overrides: dict[str, Any], expected: bool) -> None:
    assert met(parse_condition(condition), facts(**overrides)) is expected


@pytest.mark.parametrize(
    ("kind", "overrides", "present", "absent"),
    [
        # Everything met: every non-related label of the kind.
        (AppliesTo.FINDING, {}, {SEC, PCI_RETENTION, AU_11, "AWS Security Hub S3.15"}, set()),
        (AppliesTo.ACCOUNT, {}, {SEC, PCI_RETENTION, CIS_ALL_REGIONS, CIS_OLD}, set()),
        # The demo's policy: GOVERNANCE 120 days passes under ANY/90 but is no 17a-4(f) or
        # 10.5.1 evidence.
        (
            AppliesTo.FINDING,
            {"require_mode": RequiredMode.ANY, "min_retention_days": 90},
            {AU_11, "AWS Security Hub S3.15", "NIST.800-53.r5 AU-9"},
            {SEC, PCI_RETENTION},
        ),
        # COMPLIANCE required but the finding failed: no 17a-4(f); 10.5.1 stays (it fails it).
        (AppliesTo.FINDING, {"passed": False}, {PCI_RETENTION}, {SEC}),
        # No retention asked: no retention claim at all.
        (AppliesTo.FINDING, {"min_retention_days": None}, {SEC}, {PCI_RETENTION, AU_11}),
        # Single-region trails, or a --regions scan: no "enabled in all regions".
        (
            AppliesTo.ACCOUNT,
            {"multi_region_protection": False},
            {SEC},
            {CIS_ALL_REGIONS, CIS_OLD},
        ),
        (
            AppliesTo.ACCOUNT,
            {"all_enabled_regions_scanned": False},
            {SEC},
            {CIS_ALL_REGIONS, CIS_OLD},
        ),
        (AppliesTo.ACCOUNT, {"passed": False}, {PCI_RETENTION}, {CIS_ALL_REGIONS, SEC}),
        # Labels keep to their kind; related ones are never attached.
        (
            AppliesTo.FINDING,
            {},
            set(),
            {CIS_ALL_REGIONS, "CIS AWS Foundations Benchmark v1.4.0/3.3"},
        ),
        (AppliesTo.ACCOUNT, {}, set(), {"AWS Security Hub S3.15"}),
    ],
)
def test_labels_follow_the_conditions(
    kind: AppliesTo, overrides: dict[str, Any], present: set[str], absent: set[str]
) -> None:
    got = labels(facts(kind, **overrides))
    assert present <= got
    assert not absent & got


def _result(
    policy: Policy, regions: tuple[str, ...] | None, *, multi_region: bool = True
) -> ScanResult:
    passing = finding(trail_name="main", is_multi_region=multi_region)
    failing = finding(
        trail_name="old", reason_code=finding().reason_code.LOCK_NOT_CONFIGURED, lock_mode=None
    )
    account = AccountCoverage(
        passing.account_id,
        "prod",
        "/Root",
        "ACTIVE",
        True,
        2,
        None,
        verdict=Status.PASS,
        verdict_code=AccountVerdictCode.PROTECTED,
        protected_by=(passing.trail_arn,),
    )
    scope = RunScope("OrganizationAccountAccessRole", None, (), (), regions, True)
    run = RunInfo(
        started_at="2026-12-01T10:00:00Z",
        finished_at="2026-12-01T10:01:00Z",
        tool_version="3",
        caller_arn="arn:aws:iam::111111111111:user/audit",
        organization_id="o-abcdefghij",
        policy=policy,
        regions=("us-east-1", "eu-west-1"),
        complete=True,
        run_id="20261201T100000Z",
        scope=scope,
    )
    return ScanResult(run=run, accounts=(account,), findings=(passing, failing))


def _requirements(result: ScanResult) -> dict[str, set[str]]:
    return {item.uid.rsplit("/", 1)[-1]: set(item.requirements) for item in export_items(result)}


def test_export_items_are_made_one_at_a_time_and_counted_before() -> None:
    result = _result(Policy(min_retention_days=90), None)
    failing = IntegrityCheck(IntegrityCode.KMS_KEY, Status.FAIL, "Key k is Disabled.")
    first, second = result.findings
    result = dataclasses.replace(
        result, findings=(dataclasses.replace(first, integrity=(failing,)), second)
    )
    items = ExportItems(result)
    made = [item.generator for item in items]
    # The encoder asks the length before it writes an element: it must be the items' number.
    assert len(items) == len(made) == 4
    assert made == [
        "orgscan/cloudtrail-bucket-object-lock",
        "orgscan/cloudtrail-bucket-object-lock",
        "orgscan/account-cloudtrail-protection",
        "orgscan/cloudtrail-integrity",
    ]
    assert [item.uid for item in items] == [item.uid for item in export_items(result)]


def test_the_demo_policy_claims_neither_17a4_nor_10_5_1() -> None:
    result = _result(Policy(min_retention_days=90), None)
    exported = _requirements(result)
    assert not (exported["main"] | exported["old"]) & {SEC, PCI_RETENTION}
    assert {CIS_ALL_REGIONS, CIS_OLD, AU_11} <= exported[finding().account_id]
    by_label = {s.control.label: s for s in standings(load_controls(), result)}
    assert by_label[SEC].describe() == (
        "not evidenced by this run: require_mode = COMPLIANCE (this run: ANY)"
    )
    assert by_label[PCI_RETENTION].describe() == (
        "not evidenced by this run: min_retention_days >= 365 (this run: 90)"
    )
    assert by_label[CIS_ALL_REGIONS].describe() == "evidenced by 1 account verdict"
    assert by_label["AWS Security Hub S3.15"].describe() == "evidenced by 2 findings"
    assert (
        by_label["CIS AWS Foundations Benchmark v1.4.0/3.3"]
        .describe()
        .startswith("not tested by orgscan")
    )


def test_a_strict_policy_claims_them_for_passing_results_only() -> None:
    result = _result(Policy(require_mode=RequiredMode.COMPLIANCE, min_retention_days=365), None)
    exported = _requirements(result)
    assert {SEC, PCI_RETENTION} <= exported["main"]
    assert SEC not in exported["old"]  # a FAIL evidences no non-rewriteable storage
    assert PCI_RETENTION in exported["old"]


def test_a_regions_scan_or_single_region_trails_claim_no_all_regions() -> None:
    limited = _result(Policy(), ("us-east-1",))
    account = finding().account_id
    assert CIS_ALL_REGIONS not in _requirements(limited)[account]
    by_label = {s.control.label: s for s in standings(load_controls(), limited)}
    assert by_label[CIS_ALL_REGIONS].describe() == (
        "not evidenced by this run: all_enabled_regions_scanned (this run: --regions us-east-1)"
    )
    single = _result(Policy(), None, multi_region=False)
    assert CIS_ALL_REGIONS not in _requirements(single)[account]
    assert {s.control.label: s for s in standings(load_controls(), single)}[
        CIS_ALL_REGIONS
    ].describe() == (
        "not evidenced by this run: multi_region_protection "
        "(no result protected by a multi-region trail)"
    )
    # A failing account under the full scan: neither.
    failing = dataclasses.replace(
        _result(Policy(), None),
        accounts=(
            dataclasses.replace(
                _result(Policy(), None).accounts[0],
                verdict=Status.FAIL,
                verdict_code=AccountVerdictCode.NOT_RECORDED,
                protected_by=(),
                gaps=(AccountGap("eu-west-1", AccountVerdictCode.NOT_RECORDED),),
            ),
        ),
    )
    assert CIS_ALL_REGIONS not in _requirements(failing)[account]


def _with_condition(tmp_path: Path, condition: str) -> Path:
    text = (ROOT / "configs" / "controls.toml").read_text(encoding="utf-8")
    path = tmp_path / "controls.toml"
    path.write_text(
        text.replace(
            'evidenced_when = ["status = PASS", "require_mode = COMPLIANCE"]',
            f'evidenced_when = ["status = PASS", "{condition}"]',
        ),
        encoding="utf-8",
    )
    return path


def test_an_unknown_condition_fails_loading_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(ControlsFileError) as caught:
        load_controls(_with_condition(tmp_path, "require_mode = STRICT"))
    message = str(caught.value)
    assert "\n" not in message
    assert "controls entry 10: unknown condition 'require_mode = STRICT'" in message
    assert "known: status = PASS" in message


def test_every_entry_states_its_condition(tmp_path: Path) -> None:
    text = (ROOT / "configs" / "controls.toml").read_text(encoding="utf-8")
    path = tmp_path / "controls.toml"
    path.write_text(text.replace("evidenced_when = []\n", "", 1), encoding="utf-8")
    with pytest.raises(ControlsFileError, match="controls entry 1: evidenced_when must be"):
        load_controls(path)


def test_a_check_condition_names_an_integrity_check() -> None:
    condition = parse_condition("check  =  KMS_KEY")
    assert (condition.kind, condition.check, condition.text) == (
        ConditionKind.CHECK,
        "KMS_KEY",
        "check = KMS_KEY",
    )
    with pytest.raises(ValueError, match="unknown condition 'check = PRELOCKED'"):
        parse_condition("check = PRELOCKED")


def test_only_the_named_check_carries_its_label() -> None:
    facts = ClaimFacts(AppliesTo.INTEGRITY, False, RequiredMode.ANY, None, True, True, "KMS_KEY")
    condition = parse_condition("check = KMS_KEY")
    assert met(condition, facts)
    assert not met(condition, dataclasses.replace(facts, check="LIFECYCLE"))
    # A finding or an account verdict is no integrity check: never labelled as one.
    assert not met(condition, dataclasses.replace(facts, kind=AppliesTo.FINDING, check=None))
