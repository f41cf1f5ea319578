"""The settings of the policy a run judges by (``ScanSettings.policy``, ``run.policy``): each a
part of ``model.Policy``, declared once here and read like every other setting."""

from __future__ import annotations

from orgscan.config import validators as check
from orgscan.config.choices import Panel
from orgscan.config.declaration import Option, Setting
from orgscan.model import MAX_DELIVERY_AGE_HOURS, MAX_RETENTION_DAYS, RequiredMode
from orgscan.prelock_count import DEFAULT_SAMPLE_SIZE, MAX_SAMPLE_SIZE

POLICY_SETTINGS: tuple[Setting, ...] = (
    Setting(
        "min_retention_days",
        check.int_between(1, MAX_RETENTION_DAYS),
        "Shortest acceptable default retention in days.",
        Option(Panel.POLICY, int, metavar="DAYS"),
        part="min_retention_days",
    ),
    Setting(
        "min_retention_years",
        check.years_in_days,  # held in days: the same policy, said in years
        "Shortest acceptable default retention in years (365 days each); instead of "
        "--min-retention-days.",
        Option(Panel.POLICY, int, metavar="YEARS"),
        part="min_retention_days",
        show=None,
    ),
    Setting(
        "require_mode",
        check.choice(RequiredMode),
        "Weakest acceptable default retention mode.",
        Option(Panel.POLICY, RequiredMode),
        part="require_mode",
    ),
    Setting(
        "require_default_retention",
        check.boolean,
        "A locked bucket without a default retention rule fails (false: warns).",
        part="require_default_retention",
    ),
    Setting(
        "max_delivery_age_hours",
        check.int_between(1, MAX_DELIVERY_AGE_HOURS),
        "A trail with a delivery error and no delivery in this many hours before the scan "
        "is not delivering, and protects nothing.",
        Option(Panel.POLICY, int, metavar="HOURS"),
        part="max_delivery_age_hours",
    ),
    Setting(
        "prelock",
        check.boolean,
        "Count a PASS bucket's log files written before its lock (an S3 Inventory report, "
        "else a sample read with HeadObject).",
        Option(
            Panel.POLICY, bool, flag=True, declaration="--prelock/--no-prelock", default="--prelock"
        ),
        part="prelock",
    ),
    Setting(
        "prelock_sample_size",
        check.int_between(1, MAX_SAMPLE_SIZE),
        f"Log file versions a pre-lock sample reads per bucket (default {DEFAULT_SAMPLE_SIZE}).",
        Option(Panel.POLICY, int, metavar="N"),
        part="prelock_sample_size",
    ),
    Setting(
        "require_log_file_validation",
        check.boolean,
        "A trail without log file validation fails its LOG_FILE_VALIDATION check (false: warns).",
        part="require_log_file_validation",
    ),
)
