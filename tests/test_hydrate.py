"""`krmfn render`: the hydrated overlay builds, with plain kustomize, to what function mode produces."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from krmfn.sdk import diff, yaml12
from tests import charts
from tests.chartrun import run_function

KRMFN = str(Path(sys.executable).parent / "krmfn")
# Every pinned render in every mode, and every newer major line's default render in every non-IPv4 mode:
# kustomize builds are the slow part, and the cluster renders add objects, not other ways to patch them.
SWEEP = [(c, m) for c in charts.pinned_cases() for m in charts.PLANS] + [
    (c, m) for c in charts.default_cases() if c.archive not in charts.pinned_archives()
    for m in ("ipv6", "dual-ipv4", "dual-ipv6")]


def hydrate(tmp_path: Path, objs: list[dict], mode: str, *extra: str, **spec) -> Path:
    (tmp_path / "in.yaml").write_text(yaml12.dump_all(objs))
    (tmp_path / "plan.yaml").write_text(yaml12.dump(charts.plan(mode, **spec)))
    out = tmp_path / "overlay"
    proc = subprocess.run(
        [KRMFN, "render", "--plan", tmp_path / "plan.yaml", "-o", out, tmp_path / "in.yaml", *extra],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return out


def kustomize(path: Path) -> list[dict]:
    proc = subprocess.run(["kubectl", "kustomize", path], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return [d for d in yaml12.load_all(proc.stdout) if d]


def kustomize_objects(objs: list[dict], where: Path) -> list[dict]:
    """Objects as kustomize emits them: function mode's output passes through kustomize too."""
    where.mkdir()
    (where / "resources.yaml").write_text(yaml12.dump_all(objs))
    (where / "kustomization.yaml").write_text("resources: [resources.yaml]\n")
    return kustomize(where)


def by_identity(objs):
    return {diff.identity(o): o for o in objs}


@pytest.mark.parametrize(("case", "mode"), SWEEP, ids=[f"{c.id}-{m}" for c, m in SWEEP])
def test_overlay_builds_to_the_function_output(case, mode, tmp_path):
    objs = charts.render(case.archive, case.values)
    rc, output, _ = run_function(charts.render(case.archive, case.values), charts.plan(mode))
    assert rc == 0
    built = kustomize(hydrate(tmp_path, objs, mode))
    assert by_identity(built) == by_identity(kustomize_objects(output["items"], tmp_path / "function"))


def test_rerun_is_byte_identical_and_stale_files_go(tmp_path):
    objs = charts.render("rabbitmq-8.24.12", charts.repeatable("rabbitmq-8.24.12")) + charts.render("ingress-nginx-4.1.2")
    out = hydrate(tmp_path, objs, "ipv6")
    (out / "patches" / "stale.yaml").write_text("[]\n")
    first = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file() and p.name != "stale.yaml"}
    hydrate(tmp_path, objs, "ipv6")
    second = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert first == second


@pytest.mark.parametrize("name", ["../../escape", "/etc/passwd", "..", "a/b/../../c", "we ird;$(rm -rf)*name", "日本"])
def test_names_from_the_input_cannot_escape_the_output_dir(name, tmp_path):
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "../ns"}, "spec": {}}
    out = hydrate(tmp_path, [svc], "ipv6")
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(out in p.parents or p.parent == tmp_path for p in written), written
    assert len(list((out / "patches").iterdir())) == 1


@pytest.mark.parametrize("archive", ["rabbitmq-8.24.12", charts.newest("rabbitmq")])
def test_values_files_follow_the_plans_adapter_options(archive, tmp_path):
    """One values path: render writes what `krmfn values` writes for the plan's options, which function mode applies."""
    from krmfn import plan as plan_mod
    from krmfn.adapters import catalog, values

    spec = {"components": [{"adapter": "rabbitmq", "options": {"clustering": "ipv6"}}]}
    objs = charts.render(archive, charts.repeatable(archive))
    out = hydrate(tmp_path, objs, "dual-ipv6", **spec)
    [written] = (out / "values").iterdir()
    composed = values.compose(catalog.builtin("rabbitmq"), archive.rsplit("-", 1)[1],
                              plan_mod.from_dict(charts.plan("dual-ipv6", **spec)), charts.RELEASE, charts.NAMESPACE,
                              {"clustering": "ipv6"})
    assert yaml12.load(written.read_text()) == composed.overlay
    assert "erlang-distribution-ipv6-dual" in [i.id for i in composed.intents]
    # And helm renders those values into objects the intent's checks accept, as function mode's are.
    rendered = charts.render(archive, charts.merge(charts.repeatable(archive), composed.overlay))
    assert composed.check(rendered) == []
    rc, output, _ = run_function(objs, charts.plan("dual-ipv6", **spec))
    assert rc == 0 and composed.check(output["items"]) == []


def test_patch_targets_match_exactly_the_names_kustomize_reads_as_regexes(tmp_path):
    # kustomize compiles every target field as an anchored RE2 regex: `web+` unquoted matched no
    # Service named web+ (it stayed without families), `a.b` also matched `axb`, `x\y` broke the build.
    def svc(name, **spec):
        return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": {"ports": [{"port": 80}], **spec}}

    objs = [svc("web+"), svc("webbb"), svc("a.b"), svc("axb", ipFamilyPolicy="SingleStack", ipFamilies=["IPv4"]),
            svc("x\\y"), svc("(p)|q"), svc("q"), svc("[z]"), svc("z"),
            {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "np.x"},
             "spec": {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}},
            {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "npxx"},
             "spec": {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]}}]
    twin = charts.plan("ipv6", networkPolicies="twin")
    (tmp_path / "in.yaml").write_text(yaml12.dump_all(objs))
    (tmp_path / "plan.yaml").write_text(yaml12.dump(twin))
    proc = subprocess.run([KRMFN, "render", "--plan", tmp_path / "plan.yaml", "-o", tmp_path / "overlay",
                           tmp_path / "in.yaml"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rc, output, _ = run_function(objs, twin)
    assert rc == 0
    built = kustomize(tmp_path / "overlay")
    assert by_identity(built) == by_identity(kustomize_objects(output["items"], tmp_path / "function"))
    # And the function did change the regex-named ones, so the equality above is not vacuous.
    assert {o["metadata"]["name"] for o in built if o["spec"].get("ipFamilies") == ["IPv6"]} == {
        o["metadata"]["name"] for o in objs if o["kind"] == "Service" and "ipFamilies" not in o["spec"]}


def test_render_is_identical_across_hash_seeds(tmp_path):
    # Set and dict orders that followed string hashes would reorder patches and values files.
    objs = charts.render("rabbitmq-8.24.12", charts.repeatable("rabbitmq-8.24.12")) + charts.render("ingress-nginx-4.1.2")
    (tmp_path / "in.yaml").write_text(yaml12.dump_all(objs))
    (tmp_path / "plan.yaml").write_text(yaml12.dump(charts.plan("dual-ipv6")))
    trees = []
    for seed in ("0", "4242"):
        out = tmp_path / f"overlay-{seed}"
        proc = subprocess.run([KRMFN, "render", "--plan", tmp_path / "plan.yaml", "-o", out, tmp_path / "in.yaml"],
                              capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONHASHSEED": seed})
        assert proc.returncode == 0, proc.stderr
        trees.append(({p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()},
                      proc.stderr.replace(str(out), "OUT")))
    assert trees[0] == trees[1]
    assert any(p.parts[0] == "patches" for p in trees[0][0])  # something was rendered to compare
