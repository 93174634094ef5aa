"""The click commands behind `krmfn SUBCOMMAND`; each is a thin shell over a module."""
from __future__ import annotations

import json
import sys

import click

from krmfn import __version__


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def cli(ctx: click.Context) -> None:
    """krmfn: make Kubernetes middleware work on IPv6-only and dual-stack clusters.

    Without a subcommand krmfn is a KRM function: it reads a ResourceList on stdin (the
    functionConfig is an IPv6Plan) and writes the transformed ResourceList to stdout, as
    kustomize and kpt expect.
    """
    if ctx.invoked_subcommand is None:
        if sys.stdin.isatty():
            click.echo(ctx.get_help())
            return
        from krmfn.function import run

        ctx.exit(run(sys.stdin.buffer.read()))


@cli.command()
def version() -> None:
    """Print krmfn's version."""
    click.echo(__version__)


@cli.command()
def schema() -> None:
    """Print the IPv6Plan JSON Schema (for yaml-language-server and editors)."""
    from krmfn.plan import json_schema

    click.echo(json.dumps(json_schema(), indent=2))
