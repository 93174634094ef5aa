"""Command line: no arguments runs the KRM function; subcommands are the user's tools."""
from __future__ import annotations

import sys


def main() -> None:
    # The function path skips click entirely: it runs on every render, start-up is its cost.
    if len(sys.argv) == 1 and not sys.stdin.isatty():
        from krmfn.function import run_stdin

        sys.exit(run_stdin())
    from krmfn.commands import cli

    cli(prog_name="krmfn")
