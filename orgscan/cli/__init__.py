"""The ``orgscan`` command line: thin typer commands over the core.

Each command lives in its own module and is registered here; the core never imports typer.
The command modules import the core inside their commands, so ``orgscan --help`` and
``orgscan --version`` load no botocore, pandas, openpyxl or jinja2.
"""

from __future__ import annotations

from typing import Annotated

import typer

from orgscan.cli.panels import Command, Group

app = typer.Typer(
    cls=Group,
    name="orgscan",
    help="Audit an AWS Organization: CloudTrail log buckets must have S3 Object Lock enabled.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from orgscan import __version__

        typer.echo(f"orgscan {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            metavar="",
            is_eager=True,
            callback=_print_version,
            help="Print orgscan's version and exit.",
        ),
    ] = False,
) -> None:
    """Audit an AWS Organization: CloudTrail log buckets must have S3 Object Lock enabled."""


def _register() -> None:
    # Imported here so that `import orgscan.cli` stays free of import cycles.
    from orgscan.cli import diff_cmd, history_cmd, report_cmd, scan_cmd

    app.command("scan", cls=Command, epilog=scan_cmd.SCAN_EPILOG)(scan_cmd.scan)
    app.command("demo", cls=Command, epilog=scan_cmd.DEMO_EPILOG)(scan_cmd.demo)
    app.command("report", cls=Command, epilog=report_cmd.EPILOG)(report_cmd.report)
    app.command("diff", cls=Command, epilog=diff_cmd.EPILOG)(diff_cmd.diff)
    app.command("history", cls=Command, epilog=history_cmd.EPILOG)(history_cmd.history)
    from orgscan.cli import remediate_cmd

    app.command("remediate", cls=Command, epilog=remediate_cmd.EPILOG)(remediate_cmd.remediate)
    from orgscan.cli import config_cmd, iam_cmd

    app.add_typer(config_cmd.app, name="config")
    app.command("iam-policy", cls=Command, epilog=iam_cmd.EPILOG)(iam_cmd.iam_policy)
    from orgscan.cli import publish_cmd, verify_cmd

    app.command("verify", cls=Command, epilog=verify_cmd.EPILOG)(verify_cmd.verify)
    app.command("publish", cls=Command, epilog=publish_cmd.EPILOG)(publish_cmd.publish)
    from orgscan.cli import watch_cmd

    app.command("watch", cls=Command, epilog=watch_cmd.EPILOG)(watch_cmd.watch)


_register()


def main() -> None:
    """Console-script entry point."""
    app()
