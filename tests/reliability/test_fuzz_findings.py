"""Issue 13's fuzzer findings that are not one refused input: each reproducer, minimal, through
the console script, and where kustomize is the judge, through real `kubectl kustomize`.

The refused ones (long hex and octal integers, malformed family fields, mixed ConfigMap keys,
alias amplification, duplicates) are files of the bad-input corpus; the alias ratio's exact
limit is in test_limits.py.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from krmfn.sdk import yaml12

from .conftest import KRMFN, plan, resource_list, run_cli

PLAN = plan(["IPv6"])
LOCAL = "config.kubernetes.io/local-config"


def service(name: str, **spec) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": {"ports": [{"port": 80}], **spec}}


def krmfn(*args, stdin: bytes = b"", cwd: Path | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(KRMFN), *map(str, args)], input=stdin, capture_output=True, timeout=120, cwd=cwd)
    assert "Traceback" not in proc.stderr.decode() and "internal error" not in proc.stderr.decode(), proc.stderr
    return proc


def kustomize(directory: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["kubectl", "kustomize", str(directory)], capture_output=True, text=True, timeout=120)


def base(tmp_path: Path, objs: list[dict]) -> Path:
    """A plain kustomization of these objects: what kustomize itself makes of them."""
    where = tmp_path / "plain"
    where.mkdir()
    (where / "resources.yaml").write_text(yaml12.dump_all(objs))
    (where / "kustomization.yaml").write_text("resources: [resources.yaml]\n")
    return where


def function_output(objs: list[dict], fc: dict = PLAN):
    run = run_cli(yaml12.dump(resource_list(objs, fc)).encode())
    assert "Traceback" not in run.err and "internal error" not in run.out
    return run


@pytest.mark.parametrize("marker", [{"metadata": {"annotations": {LOCAL: "true"}}},
                                    {"metadata": {"labels": {"keep": "me"}}}], ids=["local-config", "excluded"])
def test_a_service_sharing_an_alias_is_not_changed_through_it(marker):
    # `spec: &s` on a Service krmfn must leave alone, `spec: *s` on one it changes: the loader
    # used to hand both the same dict, so the injector changed the untouchable one too.
    fc = plan(["IPv6"], exclude=[{"labels": {"keep": "me"}}])
    untouched = yaml12.dump({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a", **marker["metadata"]}})
    text = yaml12.dump(resource_list([], fc)).replace("items: []\n", "items:\n")
    text += "- " + untouched.replace("\n", "\n  ").rstrip() + "\n  spec: &s {ports: [{port: 80}]}\n"
    text += "- apiVersion: v1\n  kind: Service\n  metadata: {name: b}\n  spec: *s\n"
    run = run_cli(text.encode())
    assert run.rc == 0, run.err
    a, b = run.doc["items"]
    assert a["spec"] == {"ports": [{"port": 80}]}
    assert b["spec"]["ipFamilies"] == ["IPv6"]


def test_a_malformed_service_is_an_error_and_the_pipeline_goes_on():
    # One Service with `ipFamilies: true` used to stop everything with an internal error: its
    # well-formed sibling got no families and the audit never ran.
    mysql_cnf = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "db"},
                 "data": {"my.cnf": "[mysqld]\nbind-address=0.0.0.0\n"}}
    run = function_output([service("bad", ipFamilies=True), service("good"), mysql_cnf],
                          plan(["IPv6"], override=True))
    assert run.rc == 1
    errors = run.results("error")
    assert [(e["resourceRef"]["name"], e["field"]["path"]) for e in errors if "ipFamilies" in e["message"]] == [
        ("bad", "spec.ipFamilies")]
    assert run.doc["items"][1]["spec"]["ipFamilies"] == ["IPv6"]
    assert any("[ipv4-wildcard-bind]" in r["message"] for r in run.results()), run.results()


def test_duplicates_are_refused_as_kustomize_refuses_them(tmp_path):
    # No namespace and `default` are one namespace to kustomize; another version of the same
    # group is another id to it (and so to krmfn), whatever the API server makes of it.
    same = [service("web"), {**service("web"), "metadata": {"name": "web", "namespace": "default"}}]
    assert kustomize(base(tmp_path, same)).returncode != 0
    run = function_output(same)
    assert run.rc == 1
    assert "items[0] and items[1] are the same object, Service default/web" in run.err
    assert all("ipFamilies" not in item["spec"] for item in run.doc["items"])

    versions = [{"apiVersion": v, "kind": "Deployment", "metadata": {"name": "x"}, "spec": {}}
                for v in ("apps/v1", "apps/v1beta1")]
    (tmp_path / "v").mkdir()
    assert kustomize(base(tmp_path / "v", versions)).returncode == 0
    assert function_output(versions).rc == 0

    (tmp_path / "in.yaml").write_text(yaml12.dump_all(same))
    (tmp_path / "plan.yaml").write_text(yaml12.dump(PLAN))
    proc = krmfn("render", "--plan", tmp_path / "plan.yaml", "-o", tmp_path / "out", tmp_path / "in.yaml")
    assert proc.returncode == 1 and b"are the same object" in proc.stderr
    assert not (tmp_path / "out").exists()


# Values a user may give the annotation: kustomize v5.5.0 drops the object for all but "false".
LOCAL_VALUES = ["true", "True", "", None, "1", "no", "false", False]


def test_local_config_follows_kustomize(tmp_path):
    objs = [service(f"s{i}") | {"metadata": {"name": f"s{i}", "annotations": {LOCAL: v}}}
            for i, v in enumerate(LOCAL_VALUES)]
    built = kustomize(base(tmp_path, objs))
    assert built.returncode == 0, built.stderr
    kept_by_kustomize = {d["metadata"]["name"] for d in yaml12.load_all(built.stdout) if d}
    assert kept_by_kustomize  # the comparison below must not be between two empty sets
    run = function_output(objs)
    changed = {o["metadata"]["name"] for o in run.doc["items"] if "ipFamilies" in o["spec"]}
    assert changed == kept_by_kustomize
    # render's overlay, built by kustomize, carries the families on exactly those objects too.
    (tmp_path / "in.yaml").write_text(yaml12.dump_all(objs))
    (tmp_path / "plan.yaml").write_text(yaml12.dump(PLAN))
    assert krmfn("render", "--plan", "plan.yaml", "-o", "out", "in.yaml", cwd=tmp_path).returncode == 0
    overlay = kustomize(tmp_path / "out")
    assert overlay.returncode == 0, overlay.stderr
    built = [d for d in yaml12.load_all(overlay.stdout) if d]
    assert {d["metadata"]["name"] for d in built} == kept_by_kustomize
    assert all(d["spec"].get("ipFamilies") == ["IPv6"] for d in built)


def test_render_and_check_refuse_long_hex_integers_in_input_and_plan(tmp_path):
    hex_cm = "{apiVersion: v1, kind: ConfigMap, metadata: {name: x}, data: {x: 0x" + "f" * 3600 + "}}\n"
    (tmp_path / "in.yaml").write_text(hex_cm)
    (tmp_path / "plan.yaml").write_text(yaml12.dump(PLAN))
    (tmp_path / "hex-plan.yaml").write_text(yaml12.dump(PLAN).replace("name: ipv6", "name: 0o" + "7" * 5000))
    (tmp_path / "ok.yaml").write_text(yaml12.dump(service("web")))
    for args in (("check", "-"), ("check", "in.yaml"), ("render", "--plan", "plan.yaml", "-o", "out", "in.yaml"),
                 ("check", "--plan", "hex-plan.yaml", "ok.yaml"),
                 ("render", "--plan", "hex-plan.yaml", "-o", "out", "ok.yaml")):
        proc = krmfn(*args, stdin=hex_cm.encode(), cwd=tmp_path)
        assert proc.returncode == 1 and b"has too many digits" in proc.stderr, (args, proc.stderr)


def test_render_and_check_refuse_a_configmap_plan_with_mixed_keys(tmp_path):
    (tmp_path / "plan.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: p}\ndata: {1: a, b: c}\n")
    (tmp_path / "in.yaml").write_text(yaml12.dump(service("web")))
    for args in (("check", "--plan", "plan.yaml", "in.yaml"), ("render", "--plan", "plan.yaml", "-o", "o", "in.yaml")):
        proc = krmfn(*args, cwd=tmp_path)
        assert proc.returncode == 1 and b"data.1: unknown key" in proc.stderr, proc.stderr


def test_render_into_a_path_under_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "afile").write_text("")
    (tmp_path / "plan.yaml").write_text(yaml12.dump(PLAN))
    (tmp_path / "in.yaml").write_text(yaml12.dump(service("web")))
    proc = krmfn("render", "--plan", "plan.yaml", "-o", "afile/x", "in.yaml", cwd=tmp_path)
    assert proc.returncode == 1 and b"cannot write afile/x: Not a directory" in proc.stderr, proc.stderr


def test_render_reads_a_plain_json_array(tmp_path):
    # What `helm template | yq -o json` users have: objects in an array, no List around them.
    objs = [service("web"), service("api")]
    (tmp_path / "in.json").write_text(json.dumps(objs))
    (tmp_path / "plan.yaml").write_text(yaml12.dump(PLAN))
    proc = krmfn("render", "--plan", "plan.yaml", "-o", "out", "in.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    built = kustomize(tmp_path / "out")
    assert built.returncode == 0, built.stderr
    assert [d["spec"]["ipFamilies"] for d in yaml12.load_all(built.stdout) if d] == [["IPv6"]] * len(objs)


def test_values_that_are_a_list_where_the_overlay_needs_a_map_are_kept_with_a_warning():
    # A HelmRelease whose `controller:` is a list: the values merge used to crash setting
    # controller.service inside it; it is the user's value in the way, reported like any other.
    release = {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
               "metadata": {"name": "ingress-nginx", "namespace": "edge"},
               "spec": {"chart": {"spec": {"chart": "ingress-nginx", "version": "4.1.2",
                                           "sourceRef": {"kind": "HelmRepository", "name": "x"}}},
                        "values": {"controller": [{"replicaCount": 2}]}}}
    run = function_output([release])
    assert run.rc == 0, run.err
    assert run.doc["items"][0]["spec"]["values"]["controller"] == [{"replicaCount": 2}]
    assert any(r.get("field", {}).get("path") == "spec.values.controller" for r in run.results("warning"))


def test_volume_names_that_are_not_strings_do_not_stop_the_audit():
    # The audit indexed volumes by name; a list as a name could not be hashed.
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
           "spec": {"template": {"spec": {"volumes": [{"name": ["x"], "configMap": {"name": "c"}}],
                                          "containers": [{"name": "db", "volumeMounts": [{"name": ["x"]}],
                                                          # A probe script is looked up among mounted ConfigMaps.
                                                          "livenessProbe": {"exec": {"command": ["/s/ping.sh"]}}}]}}}}
    # A rabbitmq.conf makes the audit look for the workloads that mount it.
    conf = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
            "data": {"rabbitmq.conf": "listeners.tcp.default = 5672\n"}}
    run = function_output([sts, conf])
    assert run.rc in (0, 1) and "internal error" not in run.err
    assert run.doc["items"] == [sts, conf]


def test_an_application_whose_helm_is_not_a_map_is_left_alone_with_a_warning():
    # `spec.source.helm: [..]` left nowhere to write valuesObject: setting it crashed.
    app = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "nginx", "namespace": "argocd"},
           "spec": {"destination": {"namespace": "edge"},
                    "source": {"chart": "ingress-nginx", "targetRevision": "4.1.2", "helm": ["releaseName: x"]}}}
    run = function_output([app])
    assert run.rc == 0, run.err
    assert run.doc["items"] == [app]
    assert [r["field"]["path"] for r in run.results("warning")] == ["spec.source.helm"]


@pytest.mark.parametrize("release", ["mq(", "(a|aa)+", "m.q", "x\\y"])
def test_release_labels_never_become_patterns(release):
    """Items 3 and 4: a release label with regex syntax (`mq(`), or one that drove a pattern built from it
    into exponential time (`(a|aa)+` beside a 36-character name), is only ever compared as text: the adapter
    finds the instance's objects by kind, labels and content, and applies to them as to any release."""
    from tests import charts

    archive = "rabbitmq-8.24.12"
    # Helm only takes DNS names as releases: render one, then give it the label (as a hand-edited manifest can).
    objs = charts.render(archive, charts.repeatable(archive), release="mq")
    for o in objs:
        o["metadata"]["labels"]["app.kubernetes.io/instance"] = release
        if o["kind"] == "StatefulSet":
            o["metadata"]["name"] = f"{release}-rabbitmq" if release != "(a|aa)+" else "a" * 36
    run = function_output(objs)
    results = yaml12.load(run.out)["results"]
    said = [r["message"] for r in results if " adapter on release " in r["message"]]
    assert run.rc == 0 and len(said) == 1 and f"release {release} (rabbitmq 8.24.12" in said[0], results


def test_a_secret_config_that_does_not_decode_is_an_error_on_its_field():
    """Found by make fuzz: rabbitmq.conf in a Secret (chart 10.1.0+) whose data is not base64 of UTF-8 text
    reached the catch-all through the place selector; now each edit and check says so on that field."""
    from tests import charts

    archive = charts.newest("rabbitmq")
    objs = charts.render(archive, charts.repeatable(archive))
    [secret] = [o for o in objs if o["kind"] == "Secret" and "rabbitmq.conf" in (o.get("data") or {})]
    secret["data"]["rabbitmq.conf"] = "%%% not base64 %%%"
    run = function_output(objs)
    errors = [r for r in yaml12.load(run.out)["results"] if r["severity"] == "error"]
    assert run.rc == 1 and errors
    assert all(r["field"]["path"] == "data[rabbitmq.conf]" and "not base64 of UTF-8 text" in r["message"]
               for r in errors if r["resourceRef"]["kind"] == "Secret")
    [out] = [o for o in yaml12.load(run.out)["items"] if o["kind"] == "Secret" and o["metadata"]["name"] == secret["metadata"]["name"]]
    assert out["data"]["rabbitmq.conf"] == "%%% not base64 %%%"
