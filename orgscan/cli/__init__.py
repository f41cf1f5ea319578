"""The ``orgscan`` command line: thin typer commands over the core.

Each command lives in its own module and is registered here; the core never imports typer.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="orgscan",
    help="Audit an AWS Organization: CloudTrail log buckets must have S3 Object Lock enabled.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    # Imported here so that `import orgscan.cli` stays cheap and free of import cycles.
    from orgscan.cli import diff_cmd, history_cmd, report_cmd, scan_cmd

    app.command("scan")(scan_cmd.scan)
    app.command("demo")(scan_cmd.demo)
    app.command("report")(report_cmd.report)
    app.command("diff")(diff_cmd.diff)
    app.command("history")(history_cmd.history)
    from orgscan.cli import remediate_cmd

    app.command("remediate")(remediate_cmd.remediate)
    from orgscan.cli import config_cmd, iam_cmd

    app.add_typer(config_cmd.app, name="config")
    app.command("iam-policy")(iam_cmd.iam_policy)
    from orgscan.cli import publish_cmd, verify_cmd

    app.command("verify")(verify_cmd.verify)
    app.command("publish")(publish_cmd.publish)


_register()


def main() -> None:
    """Console-script entry point."""
    app()
