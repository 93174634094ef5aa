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


def _load_plan(path: str):
    from krmfn import plan as plan_mod
    from krmfn.sdk import yaml12
    from krmfn.sdk.errors import InputError

    try:
        with open(path, "rb") as f:
            doc = yaml12.load(yaml12.decode(f.read()))
        return plan_mod.from_function_config(doc)
    except OSError as e:
        raise click.ClickException(f"cannot read plan {path}: {e.strerror}") from None
    except InputError as e:
        raise click.ClickException(f"invalid plan {path}: {e}") from None


def _option(ctx, param, pairs: tuple[str, ...]) -> dict:
    from krmfn.sdk import yaml12

    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}")
        out[key] = yaml12.load(value)
    return out


@cli.command()
@click.option("--plan", "plan_path", required=True, type=click.Path(dir_okay=False), help="The IPv6Plan file.")
@click.option("--chart", required=True, help="Chart name, e.g. rabbitmq.")
@click.option("--version", "version", required=True, help="Chart version, e.g. 8.24.12.")
@click.option("--release", default="release", show_default=True, help="Helm release name.")
@click.option("--namespace", default="default", show_default=True, help="Release namespace.")
@click.option("--values", "values_path", type=click.Path(dir_okay=False, exists=True),
              help="Your own values for the release: read for replica counts and config texts to edit.")
@click.option("--option", "options", multiple=True, callback=_option, metavar="KEY=VALUE",
              help="Adapter option (see `krmfn catalog NAME`); repeatable.")
def values(plan_path, chart, version, release, namespace, values_path, options) -> None:
    """Print the Helm values overlay that makes CHART VERSION follow the plan.

    Use it with `helm template/upgrade -f`, helmfile, Argo CD or Flux. Only YAML goes to stdout.
    """
    from krmfn.adapters import catalog, engine
    from krmfn.sdk import yaml12

    plan = _load_plan(plan_path)
    adapters = catalog.with_inline(plan.spec.adapters)
    adapter = catalog.for_chart(chart, version, adapters)
    if adapter is None:
        known = ", ".join(f"{c.name} {c.versions}" for a in adapters for c in a.spec.charts)
        raise click.ClickException(f"no adapter for {chart} {version}; the catalog covers: {known}")
    user = None
    if values_path:
        with open(values_path, "rb") as f:
            user = yaml12.load(yaml12.decode(f.read())) or {}
    try:
        overlay = engine.values_overlay(adapter, version, plan, release, namespace, options, user)
    except engine.OptionError as e:
        raise click.ClickException(str(e)) from None
    click.echo(yaml12.dump(overlay) if overlay else "{}\n", nl=False)


@cli.command("catalog")
@click.argument("name", required=False)
def catalog_cmd(name: str | None) -> None:
    """List the component adapters, or show one in full with its sources."""
    from krmfn.adapters import catalog, describe

    if name is None:
        click.echo(describe.table(catalog.builtin()), nl=False)
        return
    adapter = catalog.by_name(name)
    if adapter is None:
        raise click.ClickException(f"no adapter {name!r}; try `krmfn catalog`")
    click.echo(describe.full(adapter), nl=False)
