"""What to run first: the plan ranked by the accounts and regions each bucket's fix makes
protected, then how bad the bucket is, then the priority accounts; one order for
``orgscan remediate``, the page and the Remediation sheet, and one bounded sentence at any scale."""

from __future__ import annotations

import io
import json
from dataclasses import replace

from openpyxl import load_workbook

from orgscan.config.loading import build_settings, settings_to_config
from orgscan.model import AccountCoverage, Finding, ManagementEvents, ReasonCode, ScanResult, Status
from orgscan.remediation import RemediationSettings, build_plan
from orgscan.remediation.planfile import loads, plan_to_dict
from orgscan.remediation.ranking import first_action, first_action_text, rank_plan
from orgscan.remediation.text import plan_text
from orgscan.reports import ReportInputs
from orgscan.reports.fixes import fix_groups, remediation_rows
from orgscan.reports.html_report import REST_OF_THE_PLAN, HtmlReport
from orgscan.reports.summary import summarise
from orgscan.reports.xlsx_report import XlsxReport
from tests import builders

from .report_fixture import build_result
from .verdict_builder import with_verdicts

MGMT = "111111111111"
REGIONS = ("us-east-1", "eu-west-1")


def _account(account_id: str, name: str, ou: str) -> AccountCoverage:
    return AccountCoverage(
        account_id=account_id,
        name=name,
        ou_path=ou,
        state="ACTIVE",
        scanned=True,
        regions_scanned=len(REGIONS),
        error_code=None,
    )


def _trail(account: str, name: str, reason: ReasonCode, *, org: bool = False) -> Finding:
    locks: dict[ReasonCode, dict[str, object]] = {
        ReasonCode.LOCK_NOT_CONFIGURED: {"object_lock_enabled": False, "lock_mode": None},
        ReasonCode.RETENTION_TOO_SHORT: {"retention_days": 30},
        ReasonCode.COMPLIANT: {},
    }
    lock = locks[reason]
    return builders.finding(
        account_id=account,
        trail_name=name,
        bucket_name=f"{name}-logs",
        is_organization_trail=org,
        reason_code=reason,
        is_logging=True,
        management_events=ManagementEvents.ALL,
        **lock,
    )


def _result(accounts: list[AccountCoverage], findings: list[Finding]) -> ScanResult:
    base = build_result()
    run = replace(base.run, regions=REGIONS, organization_id="o-rank")
    return with_verdicts(
        replace(base, run=run, accounts=tuple(accounts), findings=tuple(findings), errors=())
    )


DEV = _account("100000000001", "dev-sandbox", "/Root/Dev")
PROD = _account("900000000009", "prod-payments", "/Root/Prod")
OTHER_PROD = _account("900000000010", "payments-live", "/Root/Prod/Cards")


def _ranked_buckets(result: ScanResult, settings: RemediationSettings | None = None) -> list[str]:
    plan = build_plan(result, settings or RemediationSettings())
    return [r.entry.bucket_name for r in rank_plan(plan, result)]


def test_an_unlocked_production_bucket_comes_before_a_dev_buckets_short_retention() -> None:
    result = _result(
        [DEV, PROD],
        [
            _trail(DEV.account_id, "dev-trail", ReasonCode.RETENTION_TOO_SHORT),
            _trail(PROD.account_id, "prod-trail", ReasonCode.LOCK_NOT_CONFIGURED),
        ],
    )
    # Each fix makes one account protected in both regions: severity decides, not account id.
    ranked = rank_plan(build_plan(result, RemediationSettings()), result)
    assert [(r.entry.bucket_name, r.accounts, r.regions, r.severity) for r in ranked] == [
        ("prod-trail-logs", (PROD.account_id,), 2, 0),
        ("dev-trail-logs", (DEV.account_id,), 2, 3),
    ]


def test_the_bucket_that_protects_the_most_accounts_comes_first() -> None:
    result = _result(
        [_account(MGMT, "management", "/Root"), DEV, PROD],
        [
            # The organization trail's bucket is only too short; fixing it protects all three.
            _trail(MGMT, "org-trail", ReasonCode.RETENTION_TOO_SHORT, org=True),
            _trail(PROD.account_id, "prod-trail", ReasonCode.LOCK_NOT_CONFIGURED),
            _trail(DEV.account_id, "dev-trail", ReasonCode.RETENTION_TOO_SHORT),
        ],
    )
    ranked = rank_plan(build_plan(result, RemediationSettings()), result)
    assert ranked[0].entry.bucket_name == "org-trail-logs"
    assert ranked[0].accounts == (DEV.account_id, MGMT, PROD.account_id)
    assert ranked[0].regions == 6
    assert [r.entry.bucket_name for r in ranked[1:]] == ["prod-trail-logs", "dev-trail-logs"]


def test_priority_accounts_break_ties_by_ou_path_or_name_pattern() -> None:
    accounts = [DEV, PROD, OTHER_PROD]
    result = _result(
        accounts,
        [_trail(a.account_id, f"{a.name}-trail", ReasonCode.RETENTION_TOO_SHORT) for a in accounts],
    )
    assert _ranked_buckets(result) == [
        "dev-sandbox-trail-logs",
        "prod-payments-trail-logs",
        "payments-live-trail-logs",
    ]
    by_ou = RemediationSettings(priority_accounts=("/Root/Prod",))
    assert _ranked_buckets(result, by_ou)[-1] == "dev-sandbox-trail-logs"
    by_name = RemediationSettings(priority_accounts=("*-LIVE",))
    assert _ranked_buckets(result, by_name)[0] == "payments-live-trail-logs"


def test_remediate_the_page_and_the_remediation_sheet_follow_one_order() -> None:
    result = _result(
        [DEV, PROD],
        [
            _trail(DEV.account_id, "dev-trail", ReasonCode.RETENTION_TOO_SHORT),
            _trail(PROD.account_id, "prod-trail", ReasonCode.LOCK_NOT_CONFIGURED),
        ],
    )
    plan = build_plan(result, RemediationSettings())
    text = plan_text(plan, None, result)
    assert text.index("bucket prod-trail-logs") < text.index("bucket dev-trail-logs")
    assert (
        f"Run remediation/{PROD.account_id}.sh first: it fixes bucket prod-trail-logs "
        "(LOCK_NOT_CONFIGURED) and makes 1 account protected; then 1 more script, below."
    ) in text
    inputs = ReportInputs(result=result, plan=plan)
    summary = summarise(result)
    rows = remediation_rows(inputs, summary)
    assert [(row.order, row.bucket.bucket_name) for row in rows] == [
        (1, "prod-trail-logs"),
        (2, "dev-trail-logs"),
    ]
    assert [group.account_id for group in fix_groups(rows, summary)] == [
        PROD.account_id,
        DEV.account_id,
    ]
    sheet = load_workbook(io.BytesIO(XlsxReport().render(inputs)))["Remediation"]
    header = [cell.value for cell in sheet[1]]
    assert [
        (row[header.index("Order")], row[header.index("Bucket")])
        for row in sheet.iter_rows(min_row=2, values_only=True)
    ] == [(1, "prod-trail-logs"), (2, "dev-trail-logs")]
    page = HtmlReport().render(inputs).decode()
    assert page.index("prod-trail-logs") < page.index("dev-trail-logs")
    assert "makes 1 account protected; then 1 more script, " + REST_OF_THE_PLAN in page


def test_what_to_run_first_stays_one_action_at_3000_accounts() -> None:
    workloads = [
        _account(f"{100000000000 + n}", f"workload-{n:04d}", "/Root/Workloads")
        for n in range(1, 3001)
    ]
    result = _result(
        [_account(MGMT, "management", "/Root"), *workloads],
        [
            _trail(MGMT, "org-trail", ReasonCode.LOCK_NOT_CONFIGURED, org=True),
            *(
                _trail(a.account_id, f"{a.name}-trail", ReasonCode.RETENTION_TOO_SHORT)
                for a in workloads
            ),
        ],
    )
    assert all(a.verdict is Status.FAIL for a in result.accounts)
    ranked = rank_plan(build_plan(result, RemediationSettings()), result)
    action = first_action(ranked)
    assert action is not None
    sentence = first_action_text(action, REST_OF_THE_PLAN)
    assert sentence == (
        f"remediation/{MGMT}.sh first: it fixes bucket org-trail-logs (LOCK_NOT_CONFIGURED) "
        f"and makes 3001 accounts protected; then 3000 more scripts, {REST_OF_THE_PLAN}."
    )
    # Two lines of the verdict block at most, however many scripts follow.
    assert len(sentence) <= 200


def test_priority_accounts_is_a_remediation_setting_the_plan_file_keeps() -> None:
    settings = build_settings(
        {"remediation": {"priority_accounts": ["/Root/Prod", "prod-*", "prod-*"]}}, {}
    )
    assert settings.remediation.priority_accounts == ("/Root/Prod", "prod-*")
    assert settings_to_config(settings)["remediation"] == {
        "strategy": "enable-in-place",
        "priority_accounts": ["/Root/Prod", "prod-*"],
    }
    result = _result([DEV], [_trail(DEV.account_id, "dev-trail", ReasonCode.RETENTION_TOO_SHORT)])
    plan = build_plan(result, settings.remediation)
    document = plan_to_dict(plan)
    assert document["settings"]["priority_accounts"] == ["/Root/Prod", "prod-*"]
    assert loads(json.dumps(document)).settings == settings.remediation
    # A plan without priority accounts is written as before.
    assert (
        "priority_accounts"
        not in plan_to_dict(build_plan(result, RemediationSettings()))["settings"]
    )
