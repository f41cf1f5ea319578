"""``python -m orgscan``: the same command line as the ``orgscan`` script."""

from __future__ import annotations

from orgscan.cli import app

if __name__ == "__main__":
    app(prog_name="orgscan")
