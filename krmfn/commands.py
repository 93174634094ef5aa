"""The click commands behind `krmfn SUBCOMMAND`; each is a thin shell over a module."""
from __future__ import annotations

import json
import sys
import traceback

import click

from krmfn import __version__


class _Guarded(click.Group):
    """Every subcommand's failure is one line and exit 1, never a traceback.

    Bad input (InputError) and files that cannot be read or written (OSError) say what is wrong;
    anything else is krmfn's own bug and says so, as function mode's catch-all does.
    """

    def invoke(self, ctx: click.Context):
        from krmfn.sdk.errors import InputError

        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except InputError as e:
            raise click.ClickException(" ".join(str(e).split())) from None
        except OSError as e:
            raise click.ClickException(f"{e.filename or ''}: {e.strerror or e}".lstrip(": ")) from None
        except Exception as e:  # noqa: BLE001 - the user gets one line, not a stack
            where = traceback.extract_tb(e.__traceback__)[-1]
            raise click.ClickException(
                f"internal error {type(e).__name__}: {e} (at {where.filename.rsplit('/', 1)[-1]}:{where.lineno}); "
                "please report it") from None


@click.group(cls=_Guarded, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def cli(ctx: click.Context) -> None:
    """krmfn: make Kubernetes middleware work on IPv6-only and dual-stack clusters.

    Without a subcommand krmfn is a KRM function (kpt, kustomize): it reads a ResourceList on
    stdin and writes it to stdout. Its functionConfig says what to do:

    \b
    IPv6Plan (apiVersion krmfn.dev/v1alpha1), the mutator:
      spec.ipFamilies        [IPv6] | [IPv4] | [IPv6, IPv4] | [IPv4, IPv6]; first = primary
      spec.ipFamilyPolicy    SingleStack | PreferDualStack | RequireDualStack
      spec.services          override: rewrite set families; exclude: Services left alone
      spec.components        adapters to apply (default: every chart detected), with options
      spec.adapters          inline adapters, same schema as the catalog's
      spec.audit             disable: rule ids; severity: rule id -> error | warning | info
      spec.verify.coreDNS    true: answer AAAA only (IPv6-only proofs)
      spec.networkPolicies   twin: add ::/0 beside every 0.0.0.0/0 ipBlock
    It sets Service IP families, applies the catalog's component adapters (config files, env,
    Helm values in HelmRelease/Application/helmCharts), then audits what it returns.

    \b
    IPv6Check (same apiVersion and spec), the validator:
      audits the objects as they are and changes none: results, and exit 1 on an
      error finding. For a Kptfile's `validators:` and CI.

    \b
    ConfigMap, for `kpt fn eval --exec krmfn -- ipFamilies=IPv6,IPv4 override=true`:
      data keys ipFamilies, ipFamilyPolicy, override.

    `krmfn schema` prints the JSON Schema of both kinds; `krmfn catalog` lists the adapters.
    """
    if ctx.invoked_subcommand is None:
        if sys.stdin.isatty():
            click.echo(ctx.get_help())
            return
        from krmfn.function import run_stdin

        ctx.exit(run_stdin())


@cli.command()
def version() -> None:
    """Print krmfn's version."""
    click.echo(__version__)


@cli.command()
@click.option("--adapter", is_flag=True, help="The Adapter schema (catalog files, a plan's spec.adapters) instead.")
def schema(adapter: bool) -> None:
    """Print the IPv6Plan JSON Schema (for yaml-language-server and editors)."""
    if adapter:
        from krmfn.adapters.model import Adapter

        click.echo(json.dumps(Adapter.model_json_schema(), indent=2))
        return
    from krmfn.plan import json_schema

    click.echo(json.dumps(json_schema(), indent=2))


def _load_plan(path: str):
    from krmfn import plan as plan_mod
    from krmfn.sdk.errors import InputError

    try:
        return plan_mod.from_file(path)
    except InputError as e:
        raise click.ClickException(" ".join(str(e).split())) from None


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
@click.option("--values", "values_path_arg", type=click.Path(dir_okay=False, exists=True),
              help="Your own values for the release: read for replica counts and config texts to edit.")
@click.option("--option", "options", multiple=True, callback=_option, metavar="KEY=VALUE",
              help="Adapter option (see `krmfn catalog NAME`); repeatable.")
def values(plan_path, chart, version, release, namespace, values_path_arg, options) -> None:
    """Print the Helm values overlay that makes CHART VERSION follow the plan.

    Use it with `helm template/upgrade -f`, helmfile, Argo CD or Flux. Only YAML goes to stdout.
    """
    from krmfn.adapters import engine, values as values_path
    from krmfn.adapters.catalog import Catalog, CatalogError
    from krmfn.sdk import yaml12

    plan = _load_plan(plan_path)
    try:
        catalog = Catalog(plan.spec.adapters)
    except CatalogError as e:
        raise click.ClickException(str(e)) from None
    comp = catalog.for_chart(chart)
    if comp is None:
        raise click.ClickException(f"no adapter for chart {chart}; the catalog has: {', '.join(catalog.names())}")
    user = None
    if values_path_arg:
        with open(values_path_arg, "rb") as f:
            user = yaml12.load(yaml12.decode(f.read())) or {}
    try:
        composed = values_path.compose(comp, version, plan, release, namespace, options, user)
    except (values_path.NotCovered, engine.OptionError) as e:
        raise click.ClickException(str(e)) from None
    # Warnings go to stderr so that stdout stays a values file.
    unproven = comp.unproven(version)
    for warning in ([unproven] if unproven else []) + composed.warnings():
        click.echo(f"krmfn: warning: {warning}", err=True)
    click.echo(yaml12.dump(composed.overlay) if composed.overlay else "{}\n", nl=False)


@cli.command("catalog")
@click.argument("name", required=False)
@click.option("--markdown", is_flag=True, help="Every adapter's version ranges as the README's Markdown table.")
def catalog_cmd(name: str | None, markdown: bool) -> None:
    """List the component adapters and their version ranges, or show one in full with its sources."""
    from krmfn.adapters import catalog, describe

    if markdown:
        click.echo(describe.markdown(catalog.all_builtin()), nl=False)
        return
    if name is None:
        click.echo(describe.table(catalog.all_builtin()), nl=False)
        return
    comp = catalog.Catalog().by_name(name)
    if comp is None:
        raise click.ClickException(f"no adapter {name!r}; try `krmfn catalog`")
    click.echo(describe.full(comp), nl=False)


@cli.command()
@click.option("--plan", "plan_path", required=True, type=click.Path(dir_okay=False), help="The IPv6Plan file.")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), help="Directory of the overlay.")
@click.option("--base", help="Use this kustomize base (relative to the output directory) instead of a copy of the input; "
                             "the input must then be that base's built output.")
@click.argument("inputs", nargs=-1)
def render(plan_path, output, base, inputs) -> None:
    """Hydrate: write the plan's changes to INPUTS as a plain kustomize overlay in OUTPUT.

    For Flux and plugin-less Argo CD: commit OUTPUT and sync it. OUTPUT gets kustomization.yaml,
    patches/ (JSON 6902 with targets), created/, values/<release>.yaml per chart instance, and
    base/ (a copy of the input) unless --base is given. Rerunning is byte-identical.
    """
    from pathlib import Path

    from krmfn import hydrate
    from krmfn.sdk import manifests
    from krmfn.sdk.errors import InputError

    plan = _load_plan(plan_path)
    try:
        objs, _ = manifests.read(inputs or ("-",), sys.stdin)
    except OSError as e:
        raise click.ClickException(f"{e.filename}: {e.strerror}") from None
    except InputError as e:
        raise click.ClickException(str(e)) from None
    overlay = hydrate.build(objs, plan, base)
    for r in overlay.results:
        if r.severity in ("error", "warning"):
            click.echo(r.line(), err=True)
    if not overlay.files:
        raise click.ClickException("nothing written: fix the errors above")
    try:
        hydrate.write(overlay, Path(output))
    except OSError as e:
        raise click.ClickException(f"cannot write {output}: {e.strerror or e} ({e.filename})") from None
    counts = {d: sum(1 for f in overlay.files if f.startswith(d + "/")) for d in ("patches", "created", "values")}
    click.echo(f"krmfn: wrote {output}: {counts['patches']} patch(es), {counts['created']} added object(s), "
               f"{counts['values']} values file(s)", err=True)


@cli.command(short_help="Audit manifests for IPv6 hazards (a CI gate).")
@click.argument("inputs", nargs=-1, metavar="[FILE|DIR ...|-]")
@click.option("--plan", "plan_file", metavar="PLAN.yaml", help="The IPv6Plan to check against. Default: the "
              "functionConfig of a ResourceList input, else an IPv6 single-stack plan (ipFamilies: [IPv6]).")
@click.option("--format", "fmt", type=click.Choice(["text", "yaml", "json", "sarif"]), default="text",
              show_default=True, help="text: a table for people; yaml/json: the KRM results, with rule, found and "
              "fix; sarif: SARIF 2.1.0, for code scanning.")
@click.option("--skip-non-manifests", is_flag=True, help="Skip documents that are no Kubernetes object (no "
              "apiVersion or kind), such as values files and CI configs, instead of refusing them (pre-commit).")
def check(inputs: tuple[str, ...], plan_file: str | None, fmt: str, skip_non_manifests: bool) -> None:
    """Find what will break on an IPv6-only or dual-stack cluster before it ships.

    Reads manifests from files, directories (*.yaml, *.yml, *.json, recursively; kustomization files
    skipped), a ResourceList or stdin (-, also the default when stdin is not a terminal), runs the audit
    rules and exits 1 if any finding has error severity. Without --plan, rules that depend on the
    cluster's families assume an IPv6 single-stack plan. Silence a rule on one object with the annotation
    krmfn.dev/ignore: RULE[,RULE] (and say why in krmfn.dev/ignore-reason); see docs/audit.md.
    """
    from krmfn.audit.cli import check as run_check

    sys.exit(run_check(inputs, plan_file, fmt, skip_non_manifests=skip_non_manifests))


@cli.command(short_help="Print the Kyverno ClusterPolicy twin of the Service injector.")
@click.option("--plan", "plan_path", required=True, type=click.Path(dir_okay=False), help="The IPv6Plan file.")
def kyverno(plan_path: str) -> None:
    """Print a Kyverno ClusterPolicy that sets the plan's IP families on new Services at admission time.

    Same rules as krmfn's render-time injector: Services that set neither field, never ExternalName
    ones, never overriding set fields unless services.override, honouring services.exclude.
    """
    from krmfn import kyverno as kyverno_mod
    from krmfn.sdk import yaml12

    click.echo(yaml12.dump(kyverno_mod.policy(_load_plan(plan_path))), nl=False)
