"""examples/flux, examples/argocd and examples/kyverno: each input through krmfn gives its expected output."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from krmfn.commands import cli
from krmfn.sdk import yaml12
from tests import charts
from tests.chartrun import run_function
from tests.charts import ROOT, resource_list
from tests.e2e.conftest import base_env, kpt  # noqa: F401 - fixtures, shared with the e2e tests

from . import crdschema
from .flux import as_the_cluster_reads, by_identity, post_rendered

EXAMPLES = ROOT / "examples"
FLUX, ARGOCD, KYVERNO = EXAMPLES / "flux", EXAMPLES / "argocd", EXAMPLES / "kyverno"


def docs(path: Path) -> list[dict]:
    return [d for d in yaml12.load_all(path.read_text()) if d]


RELEASES = sorted(p.name for p in (FLUX / "release").glob("*.yaml"))


def flux_warnings(hr: dict, plan: dict) -> list[str]:
    """The only warnings a release may get: its adapter's own, for what no value or patch can fix."""
    from krmfn import plan as plan_mod
    from krmfn.adapters import catalog, values

    template = hr["spec"]["chart"]["spec"]
    comp = catalog.builtin(template["chart"])
    composed = values.compose(comp, template["version"], plan_mod.from_dict(plan), hr["metadata"]["name"],
                              hr["metadata"]["namespace"], None, hr["spec"].get("values"))
    return [f"krmfn: warning: HelmRelease {hr['metadata']['namespace']}/{hr['metadata']['name']}: spec.values: {w}"
            for w in composed.warnings()]


@pytest.mark.parametrize("name", RELEASES)
def test_flux_example(name):
    plan = docs(FLUX / "fn-config.yaml")[0]
    given = docs(FLUX / "release" / name)
    rc, out, stderr = run_function(given, plan)
    [hr] = [d for d in given if d["kind"] == "HelmRelease"]
    assert rc == 0 and stderr.splitlines() == flux_warnings(hr, plan), stderr
    expected = docs(FLUX / "expected" / name)
    assert out["items"] == expected
    [after] = [d for d in expected if d["kind"] == "HelmRelease"]
    assert crdschema.errors(after) == []


@pytest.mark.parametrize("name", RELEASES)
def test_flux_example_deploys_what_function_mode_makes(name, tmp_path):
    """Helm with the expected HelmRelease's values, then its post-renderers (real kustomize), as
    helm-controller does it: the objects krmfn's function mode makes of the same render."""
    [hr] = [d for d in docs(FLUX / "expected" / name) if d["kind"] == "HelmRelease"]
    template, plan = hr["spec"]["chart"]["spec"], docs(FLUX / "fn-config.yaml")[0]
    release, namespace = hr["metadata"]["name"], hr["metadata"]["namespace"]
    rendered = charts.render(f"{template['chart']}-{template['version']}", hr["spec"]["values"], release=release,
                             namespace=namespace)
    got = by_identity(post_rendered(rendered, hr, tmp_path))
    rc, out, stderr = run_function(rendered, plan)
    assert rc == 0, stderr
    assert got == by_identity(as_the_cluster_reads(yaml12.dump_all(out["items"])))
    services = [o for o in got.values() if o["kind"] == "Service"]
    assert services and all(s["spec"]["ipFamilies"][0] == "IPv6" for s in services)


def test_flux_example_with_kpt(kpt, base_env, tmp_path):  # noqa: F811 - pytest fixtures
    """The README's command: kpt keeps the comments and gives the expected files byte for byte."""
    pkg = shutil.copytree(FLUX / "release", tmp_path / "release")
    cmd = [kpt, "fn", "eval", str(pkg), "--exec", str(Path(sys.executable).parent / "krmfn"),
           "--fn-config", str(FLUX / "fn-config.yaml")]
    proc = subprocess.run(cmd, env=base_env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    for name in RELEASES:
        assert (pkg / name).read_text() == (FLUX / "expected" / name).read_text()


def test_argocd_example_through_the_exec_wrapper():
    """What `kustomize build --enable-exec` does with apps/: the resources as items, the plan as functionConfig."""
    apps = ARGOCD / "apps"
    kustomization = yaml12.load((apps / "kustomization.yaml").read_text())
    items = [d for name in kustomization["resources"] for d in docs(apps / name)]
    [plan] = [d for name in kustomization["transformers"] for d in docs(apps / name)]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(["./krmfn-exec"], cwd=apps, input=yaml12.dump(resource_list(items, plan)),
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    expected = docs(ARGOCD / "expected" / "ingress-nginx.yaml")
    assert yaml12.load(proc.stdout)["items"] == expected
    assert crdschema.errors(expected[0]) == []


def test_argocd_plugin_and_build_options():
    [cm] = docs(ARGOCD / "argocd-cm.yaml")
    assert {"--enable-alpha-plugins", "--enable-exec"} <= set(cm["data"]["kustomize.buildOptions"].split())
    [cmp] = docs(ARGOCD / "cmp-plugin.yaml")
    plugin = yaml12.load(cmp["data"]["plugin.yaml"])
    assert plugin["kind"] == "ConfigManagementPlugin" and plugin["apiVersion"] == "argoproj.io/v1alpha1"
    assert plugin["spec"]["generate"]["command"] == ["kustomize", "build", "--enable-alpha-plugins", "--enable-exec", "."]
    # Discovery picks the directory with the plan, and not one without.
    find = plugin["spec"]["discover"]["find"]["command"]
    assert subprocess.run(find, cwd=ARGOCD / "apps", capture_output=True, text=True).stdout.split() == ["ipv6-plan.yaml"]
    assert subprocess.run(find, cwd=FLUX / "release", capture_output=True, text=True).returncode != 0
    [patch] = docs(ARGOCD / "repo-server-sidecar.yaml")
    pod = patch["spec"]["template"]["spec"]
    [sidecar] = pod["containers"]
    assert sidecar["command"] == ["/var/run/argocd/argocd-cmp-server"]
    assert sidecar["securityContext"]["runAsUser"] == 999
    mounts = {m["mountPath"]: m for m in sidecar["volumeMounts"]}
    config = mounts["/home/argocd/cmp-server/config/plugin.yaml"]
    assert config["subPath"] == "plugin.yaml"
    assert {"name": config["name"], "configMap": {"name": cmp["metadata"]["name"]}} in pod["volumes"]


def test_kyverno_example_is_what_the_cli_prints():
    result = CliRunner().invoke(cli, ["kyverno", "--plan", str(KYVERNO / "plan.yaml")])
    assert result.exit_code == 0, result.output
    assert result.output == (KYVERNO / "clusterpolicy.yaml").read_text()
    assert crdschema.errors(yaml12.load(result.output)) == []
