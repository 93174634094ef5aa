"""Values where they live: HelmRelease, Application and Kustomization values filled through the real function."""
from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest

from krmfn.sdk import yaml12
from tests import charts

from . import crdschema
from .sinks import about, application, helmrelease, kustomization, plan, run, source, warnings

MQ_TEXT = "management.tcp.ip = ::"
CTL = {"name": "RABBITMQ_CTL_ERL_ARGS", "value": "-proto_dist inet6_tcp"}


# ---------------------------------------------------------------- Flux HelmRelease


@pytest.mark.parametrize("api", ["v2beta1", "v2beta2", "v2"])
def test_helmrelease_values_filled(api):
    [hr], results = run([helmrelease(api)])
    assert hr["spec"]["values"] == {
        "extraConfiguration": MQ_TEXT,
        "podAnnotations": {"krmfn.dev/release": "mq", "krmfn.dev/namespace": "queues"},
        "extraEnvVars": [CTL],
    }
    [summary] = [r for r in about(results, "HelmRelease") if r["field"]["path"] == "spec.values"]
    assert summary["severity"] == "info"
    assert "rabbitmq adapter on release mq (rabbitmq 8.24.12, ipv6)" in summary["message"]
    # What no value says goes into a post-renderer (tests/gitops/test_post_renderers.py proves it).
    [post] = [r for r in about(results, "HelmRelease") if r["field"]["path"] == "spec.postRenderers"]
    assert post["severity"] == "info" and "Service families" in post["message"]
    if api == "v2":
        assert crdschema.errors(hr) == []


@pytest.mark.parametrize(("spec", "release", "namespace"), [
    ({"targetNamespace": "prod"}, "prod-mq", "prod"),
    ({"targetNamespace": "prod", "releaseName": "rabbit"}, "rabbit", "prod"),
    ({"releaseName": "rabbit"}, "rabbit", "queues"),
])
def test_helmrelease_release_and_namespace(spec, release, namespace):
    [hr], _ = run([helmrelease(**spec)])
    assert hr["spec"]["values"]["podAnnotations"] == {"krmfn.dev/release": release, "krmfn.dev/namespace": namespace}


def test_helmrelease_long_composed_name_is_shortened_as_flux_does():
    name, target = "message-queue-for-the-order-processing-service", "production-eu-west"
    composed = f"{target}-{name}"
    assert len(composed) > 53
    [hr], _ = run([helmrelease(name=name, targetNamespace=target)])
    want = composed[:40] + "-" + hashlib.sha256(composed.encode()).hexdigest()[:12]
    assert hr["spec"]["values"]["podAnnotations"]["krmfn.dev/release"] == want
    assert len(want) == 53


def test_user_value_wins_and_the_conflict_is_reported():
    mine = {"podAnnotations": {"krmfn.dev/release": "custom"}}
    [hr], results = run([helmrelease(values=mine)])
    assert hr["spec"]["values"]["podAnnotations"] == {"krmfn.dev/release": "custom", "krmfn.dev/namespace": "queues"}
    [conflict] = warnings(results)
    assert conflict["field"] == {
        "path": "spec.values.podAnnotations[krmfn.dev/release]", "currentValue": "custom", "proposedValue": "mq",
    }
    assert "'custom'" in conflict["message"] and "'mq'" in conflict["message"] and "yours is kept" in conflict["message"]


def test_user_text_is_edited_not_replaced():
    mine = {"extraConfiguration": "listeners.tcp.1 = :::5672\n"}
    [hr], results = run([helmrelease(values=mine)])
    # The line joins the user's text after its last line; their trailing newline stays last.
    assert hr["spec"]["values"]["extraConfiguration"] == "listeners.tcp.1 = :::5672\n" + MQ_TEXT + "\n"
    assert warnings(results) == []
    assert "edited your extraConfiguration" in about(results, "HelmRelease")[0]["message"]


def test_list_entries_join_the_users_list():
    mine = {"extraEnvVars": [{"name": "TZ", "value": "UTC"}]}
    [hr], results = run([helmrelease(values=mine)])
    assert hr["spec"]["values"]["extraEnvVars"] == [{"name": "TZ", "value": "UTC"}, CTL]
    assert warnings(results) == []


def test_a_users_list_entry_wins_at_its_leaf():
    mine = {"extraEnvVars": [{"name": "RABBITMQ_CTL_ERL_ARGS", "value": "-setcookie x"}]}
    [hr], results = run([helmrelease(values=mine)])
    assert hr["spec"]["values"]["extraEnvVars"] == mine["extraEnvVars"]
    [conflict] = warnings(results)
    assert conflict["field"]["path"] == "spec.values.extraEnvVars[name=RABBITMQ_CTL_ERL_ARGS].value"


def test_a_users_null_on_the_way_is_kept():
    """`podAnnotations: null` is an explicit Helm value (drop the chart's default): nothing is written under it."""
    [hr], results = run([helmrelease(values={"podAnnotations": None})])
    assert hr["spec"]["values"]["podAnnotations"] is None
    [conflict] = warnings(results)
    assert conflict["field"]["path"] == "spec.values.podAnnotations" and conflict["field"]["currentValue"] is None


def test_filling_twice_changes_nothing_more():
    first, _ = run([helmrelease(values={"extraConfiguration": "x = 1\n"})])
    second, results = run(first)
    assert second == first
    assert about(results, "HelmRelease")[0]["message"].endswith("values already follow the plan")


@pytest.mark.parametrize(("change", "path", "words"), [
    ({"version": "8.x"}, "spec.chart.spec.version", "version '8.x'"),
    ({"version": None}, "spec.chart.spec.version", "version '*'"),
])
def test_helmrelease_without_an_exact_version_is_untouched(change, path, words):
    [hr], results = run([helmrelease(**change)])
    assert "values" not in hr["spec"]
    [warning] = warnings(results)
    assert warning["field"]["path"] == path and words in warning["message"]


def test_helmrelease_from_git_is_untouched():
    hr = helmrelease()
    hr["spec"]["chart"]["spec"].update(chart="./charts/rabbitmq", sourceRef={"kind": "GitRepository", "name": "infra"})
    [out], results = run([hr])
    assert "values" not in out["spec"]
    assert "GitRepository" in warnings(results)[0]["message"]


def test_helmrelease_chart_ref_is_untouched():
    hr = helmrelease()
    del hr["spec"]["chart"]
    hr["spec"]["chartRef"] = {"kind": "OCIRepository", "name": "rabbitmq"}
    [out], results = run([hr])
    assert "values" not in out["spec"]
    [warning] = warnings(results)
    assert warning["field"]["path"] == "spec.chartRef" and "version" in warning["message"]
    assert crdschema.errors(out) == []


def test_values_from_is_reported_as_unread():
    [hr], results = run([helmrelease(valuesFrom=[{"kind": "ConfigMap", "name": "mq-values"}])])
    assert hr["spec"]["values"]["extraConfiguration"] == MQ_TEXT
    [warning] = warnings(results)
    assert "spec.valuesFrom[0] (ConfigMap mq-values)" in warning["message"]
    assert "podAnnotations[krmfn.dev/release]" in warning["message"]
    assert crdschema.errors(hr) == []


# ---------------------------------------------------------------- Argo CD Application


MY_CNF = "[mysqld]\nport=3306\nbind-address=0.0.0.0\nmax_allowed_packet=16M\n"


def test_application_values_object_filled():
    [app], results = run([application(source(valuesObject={"primary": {"configuration": MY_CNF}}))])
    values = app["spec"]["source"]["helm"]["valuesObject"]["primary"]
    assert values["configuration"] == MY_CNF.replace("0.0.0.0", "*")
    assert values["podAnnotations"] == {"krmfn.dev/release": "db", "krmfn.dev/namespace": "databases"}
    assert warnings(results) == []
    assert crdschema.errors(app) == []


def test_application_release_name_and_helm_namespace():
    [app], _ = run([application(source(releaseName="orders", namespace="orders-db"))])
    assert app["spec"]["source"]["helm"]["valuesObject"]["primary"]["podAnnotations"] == {
        "krmfn.dev/release": "orders", "krmfn.dev/namespace": "orders-db",
    }


def test_application_without_user_config_adds_no_config():
    """The test mysql adapter edits a my.cnf only when the user supplies one: nothing to start from."""
    [app], _ = run([application(source())])
    assert "configuration" not in app["spec"]["source"]["helm"]["valuesObject"]["primary"]


def test_application_multi_source_fills_the_chart_source_only():
    ref = {"repoURL": "https://git.example.com/values.git", "targetRevision": "main", "ref": "values"}
    [app], results = run([application(source(valueFiles=["$values/db/values.yaml"]), ref)])
    chart_source, ref_source = app["spec"]["sources"]
    assert chart_source["helm"]["valuesObject"]["primary"]["podAnnotations"]["krmfn.dev/release"] == "db"
    assert ref_source == ref
    [warning] = warnings(results)
    assert warning["field"]["path"] == "spec.sources[0].helm.valuesObject"
    assert "$values/db/values.yaml" in warning["message"]
    assert crdschema.errors(app) == []


def test_application_string_values_are_left_alone():
    text = "primary:\n  configuration: |\n    [mysqld]\n    bind-address=0.0.0.0\n"
    [app], results = run([application(source(values=text))])
    assert app["spec"]["source"]["helm"] == {"values": text}
    [warning] = warnings(results)
    assert warning["field"]["path"] == "spec.source.helm.values"
    assert "valuesObject" in warning["message"]


def test_application_parameters_that_override_krmfn_are_reported():
    params = [{"name": "primary.podAnnotations.krmfn\\.dev/release", "value": "x"}, {"name": "auth.database", "value": "app"}]
    [app], results = run([application(source(parameters=params))])
    [warning] = warnings(results)
    assert warning["field"]["path"] == "spec.source.helm.parameters[0]"
    assert "primary.podAnnotations[krmfn.dev/release]" in warning["message"]


def test_application_from_a_git_path_is_reported_and_untouched():
    git = {"repoURL": "https://git.example.com/charts.git", "path": "charts/mysql", "targetRevision": "main",
           "helm": {"valuesObject": {"auth": {"database": "app"}}}}
    [app], results = run([application(git)])
    assert app["spec"]["source"] == git
    [info] = about(results, "Application")
    assert info["severity"] == "info" and "Git path" in info["message"]


# ---------------------------------------------------------------- kustomize helmCharts


def test_kustomization_values_inline_filled_with_kustomize_defaults():
    entry = {"name": "rabbitmq", "version": "8.24.12", "repo": "https://charts.bitnami.com/bitnami"}
    [k], results = run([kustomization(entry, {"name": "mysql", "version": "8.8.18", "releaseName": "db", "namespace": "data"})])
    mq, db = k["helmCharts"]
    # kustomize v5 without releaseName/namespace renders release "release-name" in namespace "default".
    assert mq["valuesInline"]["podAnnotations"] == {"krmfn.dev/release": "release-name", "krmfn.dev/namespace": "default"}
    assert db["valuesInline"]["primary"]["podAnnotations"] == {"krmfn.dev/release": "db", "krmfn.dev/namespace": "data"}
    assert [r["field"]["path"] for r in about(results, "Kustomization")] == ["helmCharts[0].valuesInline", "helmCharts[1].valuesInline"]


@pytest.mark.parametrize(("extra", "path", "words", "filled"), [
    ({"valuesMerge": "merge"}, "helmCharts[0].valuesMerge", "valuesMerge: override", False),
    ({"valuesFile": "values.yaml"}, "helmCharts[0].valuesInline", "helmCharts[0].valuesFile (values.yaml) are not read", True),
    ({"additionalValuesFiles": ["prod.yaml"]}, "helmCharts[0].additionalValuesFiles[0]", "take precedence", True),
    ({"version": None}, "helmCharts[0].version", "no version", False),
])
def test_kustomization_value_sources(extra, path, words, filled):
    entry = {k: v for k, v in {"name": "rabbitmq", "version": "8.24.12", **extra}.items() if v is not None}
    [k], results = run([kustomization(entry)])
    assert ("valuesInline" in k["helmCharts"][0]) == filled
    [warning] = warnings(results)
    assert warning["field"]["path"] == path and words in warning["message"]


# ---------------------------------------------------------------- what is left alone


@pytest.mark.parametrize(("chart", "version", "severity", "words"), [
    # A chart krmfn has no adapter for: said, not an alarm (Service families still apply).
    ("memcached", "6.0.0", "info", "no adapter for chart memcached (adapters: "),
    # A chart krmfn knows at a version its catalog does not cover: a warning naming what it proves.
    ("rabbitmq", "10.1.0", "warning", "no rabbitmq adapter range covers rabbitmq 10.1.0; the catalog proves >=8.0.0 <9.0.0"),
])
def test_chart_without_adapter_is_untouched(chart, version, severity, words):
    before = helmrelease(chart=chart, version=version, values={"a": 1})
    [hr], results = run([before])
    assert hr == before
    [said] = about(results, "HelmRelease")
    assert said["severity"] == severity and said["message"].startswith(words), said["message"]


def test_components_limit_which_releases_are_filled():
    fc = plan(components=[{"adapter": "rabbitmq", "release": "other"}])
    before = helmrelease()
    [hr], results = run([before], fc)
    assert hr == before
    assert about(results, "HelmRelease") == []


def test_ipv4_plan_changes_no_value():
    """An IPv4 plan needs no value; its post-renderer gives the Services the plan's one family, as the
    Service injector does to a render."""
    before = helmrelease()
    [hr], results = run([before], plan("ipv4"))
    assert {k: v for k, v in hr["spec"].items() if k != "postRenderers"} == before["spec"]
    [patch] = hr["spec"]["postRenderers"][0]["kustomize"]["patches"]
    assert yaml12.load(patch["patch"])["spec"] == {"ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv4"]}
    assert about(results, "HelmRelease")[0]["message"].endswith("values already follow the plan")


def test_values_that_are_not_a_map_are_reported():
    before = helmrelease()
    before["spec"]["values"] = "not: a map"
    [hr], results = run([before])
    assert hr == before
    assert warnings(results)[0]["field"]["path"] == "spec.values"


def test_cli_function_mode_fills_values_and_prints_warnings():
    rl = charts.resource_list([helmrelease(values={"podAnnotations": {"krmfn.dev/release": "custom"}})], plan())
    proc = subprocess.run([sys.executable, "-m", "krmfn"], input=yaml12.dump(rl).encode(), capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = yaml12.load(proc.stdout.decode())
    assert out["items"][0]["spec"]["values"]["extraConfiguration"] == MQ_TEXT
    assert b"krmfn: warning: HelmRelease queues/mq: spec.values.podAnnotations[krmfn.dev/release]:" in proc.stderr


def test_gitops_modules_load_only_when_needed():
    """transform() runs on every render: a plain Service list must not import the GitOps helpers."""
    rl = charts.resource_list([{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}}], charts.plan("ipv6"))
    probe = (
        "import io, sys\n"
        "from krmfn.function import run\n"
        "run(sys.stdin.buffer.read(), io.StringIO(), io.StringIO())\n"
        "print(sorted(m for m in sys.modules if m.split('.')[1:2] in (['values_sinks'], ['coredns'], ['netpol'], ['kyverno'])))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], input=yaml12.dump(rl), capture_output=True, text=True,
                          timeout=60, check=True)
    assert proc.stdout.strip() == "[]"


def oci_repository(tag=None, **ref) -> dict:
    return {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "OCIRepository",
            "metadata": {"name": "redis-cluster", "namespace": "queues"},
            "spec": {"interval": "10m", "url": "oci://registry-1.docker.io/bitnamicharts/redis-cluster",
                     "ref": {"tag": tag} if tag else ref}}


def by_chart_ref(kind: str = "OCIRepository") -> dict:
    hr = helmrelease()
    del hr["spec"]["chart"]
    hr["spec"]["chartRef"] = {"kind": kind, "name": "redis-cluster"}
    return hr


@pytest.mark.parametrize("source", [
    oci_repository("13.0.5"),
    {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmChart",
     "metadata": {"name": "redis-cluster", "namespace": "queues"},
     "spec": {"chart": "redis-cluster", "version": "13.0.5", "interval": "10m",
              "sourceRef": {"kind": "HelmRepository", "name": "bitnami"}}},
], ids=["OCIRepository", "HelmChart"])
def test_chart_ref_read_from_the_source_in_the_input(source):
    """The same release through spec.chart and through a chartRef whose source is in the input: same result."""
    [by_ref, _], results = run([by_chart_ref(source["kind"]), source], charts.plan("ipv6"))
    [by_spec], _ = run([helmrelease(chart="redis-cluster", version="13.0.5")], charts.plan("ipv6"))
    assert by_ref["spec"]["postRenderers"] == by_spec["spec"]["postRenderers"]
    assert by_ref["spec"].get("values") == by_spec["spec"].get("values")
    assert crdschema.errors(by_ref) == []


@pytest.mark.parametrize(("source", "words"), [
    (None, "not in krmfn's input"),
    (oci_repository(semver=">=13.0.0"), "no version (from OCIRepository queues/redis-cluster spec.ref)"),
    (oci_repository(digest="sha256:" + "0" * 64), "no version (from OCIRepository queues/redis-cluster spec.ref)"),
], ids=["absent", "semver-range", "digest"])
def test_chart_ref_without_one_version_is_said(source, words):
    items = [by_chart_ref()] + ([source] if source else [])
    [hr, *_], results = run(items, charts.plan("ipv6"))
    assert "values" not in hr["spec"] and "postRenderers" not in hr["spec"]
    [warning] = warnings(results)
    assert warning["field"]["path"] == "spec.chartRef" and words in warning["message"], warning["message"]
