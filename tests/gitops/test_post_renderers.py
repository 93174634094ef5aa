"""A Flux HelmRelease through krmfn: Helm with its values, then its post-renderers, is function mode's output.

helm-controller renders the chart with spec.values and then runs each spec.postRenderers entry
as a kustomize build over the release's manifests (a kustomization with the manifests as its one
resource and the entry's patches). The test does the same with the real helm and the real
kustomize (`kubectl kustomize`), for every archive in ../shared, each render, every stack mode,
and compares the objects with krmfn's function mode over the very same render: field for field
(both sides read as the API server reads YAML), except the fields of an intent krmfn said, on the
HelmRelease, it cannot put in a post-renderer, which must then keep the render's value. So whatever
else function mode would do to a release (Service families, the intents that exist only on
rendered objects), Flux does without plugins and without hydration.
"""
from __future__ import annotations

import copy

import jsonpatch
import pytest

from krmfn.sdk import paths, yaml12
from tests import charts
from tests.catalog import test_install_variants
from tests.chartrun import run_function

from .crdschema import errors as schema_errors
from .flux import as_the_cluster_reads, by_identity, post_rendered
from .sinks import helmrelease

# Beside every archive's renders: values that change what etcd renders at a listen URL (the post-renderer
# leaves it and says so) and that turn its separate metrics listener on (the post-renderer edits it too).
ETCD = charts.newest("etcd")
CASES = charts.cases() + [
    charts.Case(ETCD, "client-port", charts.merge(charts.repeatable(ETCD), {"containerPorts": {"client": 2479}})),
    charts.Case(ETCD, "metrics-listener", charts.merge(charts.repeatable(ETCD), {"metrics": {"useSeparateEndpoint": True}})),
]


def through_flux(case: charts.Case, mode: str, tmp_path, release: str = charts.RELEASE,
                 namespace: str = charts.NAMESPACE) -> tuple[dict, list[dict], list[dict], list[dict]]:
    """(the HelmRelease after krmfn, its results, Helm's render of its values, that render after its post-renderers).

    The HelmRelease is named after the release and sets no targetNamespace, so helm-controller's
    release name is its name."""
    hr = helmrelease(chart=case.chart, version=case.version, name=release, namespace=namespace,
                     values=copy.deepcopy(case.values))
    rc, out, stderr = run_function([hr], charts.plan(mode))
    assert rc == 0, stderr
    [hr] = out["items"]
    rendered = charts.render(case.archive, hr["spec"].get("values") or {}, release=release, namespace=namespace)
    after = post_rendered(rendered, hr, tmp_path)
    return hr, out.get("results", []), rendered, after


def not_post_rendered(results: list[dict], case: charts.Case, mode: str, release: str = charts.RELEASE,
                      namespace: str = charts.NAMESPACE) -> set[tuple[str, str]]:
    """(intent, place) of the edits krmfn says its post-renderer leaves out: the release's values change what the
    chart renders there, which a patch cannot read. Only those may differ, and krmfn must have said each."""
    from krmfn import plan as plan_mod
    from krmfn.adapters import catalog, values

    comp = catalog.builtin(case.chart)
    if comp is None or comp.binding(case.version) is None:
        return set()
    composed = values.compose(comp, case.version, plan_mod.from_dict(charts.plan(mode)), release, namespace, None,
                              case.values)
    b = composed.binding
    left = {(i.id, e.at) for i in composed.intents if b.edits(i) for e in i.edits
            if "postRender" in e.on and b.places[e.at].rendered
            and any(paths.get(case.values, k) is not None for k in b.places[e.at].rendered.unless)}
    said = {(m.split()[1], m.split(" renders at ")[1].split(",")[0]) for m in (r["message"] for r in results)
            if "is not in the post-renderer" in m}
    assert said == left
    return left


@pytest.mark.parametrize("mode", list(charts.PLANS))
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_helm_then_post_renderers_is_function_mode(case, mode, tmp_path):
    assert_post_renderers_are_function_mode(case, mode, tmp_path)


def assert_post_renderers_are_function_mode(case: charts.Case, mode: str, tmp_path, release: str = charts.RELEASE,
                                            namespace: str = charts.NAMESPACE) -> None:
    hr, results, rendered, after = through_flux(case, mode, tmp_path, release, namespace)
    assert schema_errors(hr) == []
    rc, fn, stderr = run_function(copy.deepcopy(rendered), charts.plan(mode))
    assert rc == 0, stderr
    expected = by_identity(as_the_cluster_reads(yaml12.dump_all(fn["items"])))
    got = by_identity(after)
    assert sorted(got) == sorted(expected)
    for identity, env_names in patched_env(hr, namespace).items():
        expected[identity] = env_first(expected[identity], env_names)
    # Where krmfn said its post-renderer leaves an edit out, that field keeps the render's value.
    left = not_post_rendered(results, case, mode, release, namespace)
    b = catalog_binding(case)
    before = by_identity(as_the_cluster_reads(yaml12.dump_all(rendered)))
    for identity, obj in expected.items():
        ops = jsonpatch.make_patch(obj, got[identity]).patch
        places = [b.places[place].path for _, place in left]
        allowed = {where for path in places for where, _ in paths.resolve(obj, path)}
        unexplained = [op for op in ops if op["op"] != "replace" or pointer_to_path(op["path"]) not in allowed]
        assert not unexplained, (identity, unexplained)
        for path in places if ops else []:
            assert paths.get(got[identity], path) == paths.get(before[identity], path), (identity, path)


def catalog_binding(case: charts.Case):
    from krmfn.adapters import catalog

    comp = catalog.builtin(case.chart)
    return comp.binding(case.version) if comp else None


def _names_objects(archive: str) -> bool:
    """Whether the catalog names an object for a post-renderer patch in this archive's chart line."""
    b = catalog_binding(charts.Case(archive))
    return bool(b) and any(p.named for p in b.places.values())


# The names a patch targets come from the release and the overrides (Helm's fullname): every install
# variant of tests/catalog/test_install_variants.py, on the archives whose catalog line names objects.
INSTALLS = [(a, n) for a, n in test_install_variants.CASES if _names_objects(a)]


@pytest.mark.parametrize("mode", ["ipv6", "dual-ipv4", "dual-ipv6"])
@pytest.mark.parametrize(("archive", "install"), INSTALLS, ids=[f"{a}-{n}" for a, n in INSTALLS])
def test_post_renderers_follow_release_names_and_overrides(archive, install, mode, tmp_path):
    release, namespace, extra = test_install_variants.installs(archive)[install]
    case = charts.Case(archive, install, charts.merge(charts.repeatable(archive), extra))
    assert_post_renderers_are_function_mode(case, mode, tmp_path, release, namespace)


def patched_env(hr: dict, namespace: str = charts.NAMESPACE) -> dict[tuple, dict[str, list[list[str]]]]:
    """Per object and container: the env entries each of krmfn's post-renderer patches sets, patch by patch."""
    from krmfn.values_sinks.postrender import is_ours

    out: dict[tuple, dict[str, list[list[str]]]] = {}
    for entry in filter(is_ours, hr["spec"].get("postRenderers") or []):
        for p in entry["kustomize"]["patches"]:
            body = yaml12.load(p["patch"])
            for c in paths.get(body, "spec.template.spec.containers") or []:
                if c.get("env"):
                    identity = (body["apiVersion"], body["kind"], namespace, body["metadata"]["name"])
                    out.setdefault(identity, {}).setdefault(c["name"], []).append([e["name"] for e in c["env"]])
    return out


def env_first(obj: dict, patches: dict[str, list[list[str]]]) -> dict:
    """The object with its env entries where kustomize's strategic merge leaves them: each patch puts the
    entries it sets first, in its order, so the last patch's come first. The same environment for the
    container: none of them refers to another variable, and no other entry refers to them, so no
    `$(VAR)` expands differently for the move."""
    obj = copy.deepcopy(obj)
    for container in obj["spec"]["template"]["spec"]["containers"]:
        for names in patches.get(container["name"], []):
            env = container["env"]
            moved = [e for n in names for e in env if e["name"] == n]
            rest = [e for e in env if e["name"] not in names]
            assert not any("$(" in str(e.get("value", "")) for e in moved)
            assert not any(f"$({n})" in str(e.get("value", "")) for e in rest for n in names)
            container["env"] = moved + rest
    return obj


def pointer_to_path(pointer: str) -> str:
    """A JSON pointer in krmfn's path notation: /spec/containers/0/env -> spec.containers[0].env."""
    steps = [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")]
    return paths.format([paths.Index(int(p)) if p.isdigit() else paths.Key(p) for p in steps])


# What a user's HelmRelease may already say. Each case runs the real function, and where it matters
# the real helm and kustomize.

def flux(mode: str = "dual-ipv6", chart: str = "redis-cluster", version: str = "13.0.5", values: dict | None = None,
         plan_spec: dict | None = None, **spec) -> tuple[dict, list[dict]]:
    hr = helmrelease(chart=chart, version=version, name=charts.RELEASE, namespace=charts.NAMESPACE,
                     values=values if values is not None else {}, **spec)
    rc, out, stderr = run_function([hr], charts.plan(mode, **(plan_spec or {})))
    assert rc == 0, stderr
    return out["items"][0], out.get("results", [])


def ours(hr: dict) -> list[dict]:
    return hr["spec"]["postRenderers"][0]["kustomize"]["patches"]


THEIRS = [
    {"kustomize": {"images": [{"name": "bitnami/redis-cluster", "newTag": "pinned"}]}},
    {"kustomize": {"patches": [{"target": {"kind": "Service", "name": "rel-redis-cluster"},
                                "patch": "- op: add\n  path: /spec/ipFamilyPolicy\n  value: SingleStack\n"}]}},
]


def test_theirs_kept_in_order_after_ours_and_a_rerun_changes_nothing():
    hr, results = flux(postRenderers=copy.deepcopy(THEIRS))
    assert hr["spec"]["postRenderers"][1:] == THEIRS
    again, _ = flux(postRenderers=copy.deepcopy(hr["spec"]["postRenderers"]))
    assert again == hr
    # Their JSON6902 patch sets a family field: said, at its place in the output list.
    [warned] = [r for r in results if "your post-renderer sets Service" in r["message"]]
    assert warned["field"]["path"] == "spec.postRenderers[2].kustomize.patches[0]"


def test_their_family_patch_wins_on_the_cluster(tmp_path):
    hr, _ = flux(postRenderers=copy.deepcopy(THEIRS))
    objs = post_rendered(charts.render("redis-cluster-13.0.5", hr["spec"]["values"]), hr, tmp_path)
    svc = by_identity(objs)[("v1", "Service", "default", "rel-redis-cluster")]
    assert svc["spec"]["ipFamilyPolicy"] == "SingleStack"  # theirs, over the plan's PreferDualStack
    assert svc["spec"]["ipFamilies"] == ["IPv6", "IPv4"]  # ours, which they did not touch
    headless = by_identity(objs)[("v1", "Service", "default", "rel-redis-cluster-headless")]
    assert (headless["spec"]["ipFamilyPolicy"], headless["spec"]["ipFamilies"]) == ("SingleStack", ["IPv6"])


def test_an_ipv4_plan_after_an_ipv6_one_rewrites_only_our_entry():
    hr, _ = flux("ipv6", postRenderers=copy.deepcopy(THEIRS))
    back, _ = flux("ipv4", postRenderers=copy.deepcopy(hr["spec"]["postRenderers"]))
    assert back["spec"]["postRenderers"][1:] == THEIRS
    assert "ipFamilies:\n  - IPv4\n" in ours(back)[0]["patch"]


def test_an_externalname_value_stops_the_families_patch_and_says_where():
    hr, results = flux(chart="mysql", version="8.8.18", values={"primary": {"service": {"type": "ExternalName"}}})
    assert not any("Service families" in p["patch"].splitlines()[0] for e in hr["spec"].get("postRenderers", [])
                   for p in e["kustomize"].get("patches", []))
    [warned] = [r for r in results if "ExternalName" in r["message"]]
    assert warned["severity"] == "warning" and warned["field"]["path"] == "spec.values.primary.service.type"


def test_plan_excludes_stop_the_families_patch():
    hr, results = flux(plan_spec={"services": {"exclude": [{"name": "rel-redis-cluster"}]}})
    assert [p["patch"].splitlines()[0] for p in ours(hr)] == ["# krmfn.dev/post-renderer: headless-primary-family"]
    assert any("services.exclude" in r["message"] and r["severity"] == "warning" for r in results)


def test_their_explicit_families_in_values_win_on_the_cluster(tmp_path):
    """Function mode cannot tell their value from the chart's in a render and sets the plan's; a HelmRelease
    shows whose it is, so there theirs wins (with the warning the values path gives), and only there."""
    mine = {"controller": {"service": {"ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv4"]}}}
    case = charts.Case("ingress-nginx-4.15.1", "default", mine)
    hr, results, rendered, after = through_flux(case, "dual-ipv6", tmp_path)
    assert any("yours is kept" in r["message"] for r in results)
    rc, fn, _ = run_function(copy.deepcopy(rendered), charts.plan("dual-ipv6"))
    expected, got = by_identity(as_the_cluster_reads(yaml12.dump_all(fn["items"]))), by_identity(after)
    controller = ("v1", "Service", "default", "rel-ingress-nginx-controller")
    assert {k: v for k, v in got[controller]["spec"].items() if k not in ("ipFamilyPolicy", "ipFamilies")} == \
        {k: v for k, v in expected[controller]["spec"].items() if k not in ("ipFamilyPolicy", "ipFamilies")}
    assert (got[controller]["spec"]["ipFamilyPolicy"], got[controller]["spec"]["ipFamilies"]) == ("SingleStack", ["IPv4"])
    assert {k: v for k, v in got.items() if k != controller} == {k: v for k, v in expected.items() if k != controller}


def test_a_post_renderers_value_that_is_not_a_list_is_left_and_said():
    hr, results = flux(postRenderers={"kustomize": {}})
    assert hr["spec"]["postRenderers"] == {"kustomize": {}}
    assert any(r["field"]["path"] == "spec.postRenderers" and r["severity"] == "warning" for r in results
               if r.get("field"))


@pytest.mark.parametrize("archive", charts.archives())
def test_no_chart_template_renders_an_externalname_service(archive):
    """Why one `type: ExternalName` value is all the families patch must look for (postrender._families)."""
    import tarfile

    with tarfile.open(charts.archive_path(archive)) as tgz:
        for member in tgz.getmembers():
            if member.isfile() and "/templates/" in member.name:
                assert b"ExternalName" not in tgz.extractfile(member).read(), member.name


def test_krmfn_render_writes_the_same_post_renderer(tmp_path):
    """`krmfn render` over a repository's HelmRelease: its overlay builds (real kustomize) to function mode's."""
    import subprocess
    import sys
    from pathlib import Path

    from .flux import KUBECTL

    hr = helmrelease(chart="redis-cluster", version="13.0.5", name="sessions", namespace="cache", values={},
                     postRenderers=copy.deepcopy(THEIRS))
    (tmp_path / "hr.yaml").write_text(yaml12.dump(hr))
    (tmp_path / "plan.yaml").write_text(yaml12.dump(charts.plan("ipv6")))
    krmfn = Path(sys.executable).parent / "krmfn"
    proc = subprocess.run([krmfn, "render", "--plan", tmp_path / "plan.yaml", "-o", tmp_path / "out", tmp_path / "hr.yaml"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    built = subprocess.run([KUBECTL, "kustomize", tmp_path / "out"], capture_output=True, text=True, check=True).stdout
    rc, out, _ = run_function([hr], charts.plan("ipv6"))
    assert as_the_cluster_reads(built) == as_the_cluster_reads(yaml12.dump_all(out["items"]))
    assert as_the_cluster_reads(built)[0]["spec"]["postRenderers"][1:] == THEIRS
