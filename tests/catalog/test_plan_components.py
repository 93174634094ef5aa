"""The plan narrows and extends the catalog: spec.components and inline spec.adapters."""
import copy

from krmfn.sdk import objects
from tests import charts
from tests.chartrun import run_function

MYSQL = "mysql-8.8.18"
RABBIT = "rabbitmq-8.24.12"


def relabel(objs: list[dict], release: str) -> list[dict]:
    """The same chart rendered as another release (names and instance labels)."""
    out = copy.deepcopy(objs)
    for o in out:
        o["metadata"]["name"] = o["metadata"]["name"].replace("rel-", f"{release}-", 1)
        o["metadata"]["labels"]["app.kubernetes.io/instance"] = release
    return out


def my_cnf(items, name):
    return next(o for o in items if o["kind"] == "ConfigMap" and objects.name(o) == name)["data"]["my.cnf"]


def adapter_infos(output):
    return [r["message"] for r in output["results"] if " adapter on release " in r["message"]]


def test_components_narrow_to_listed_adapters_and_releases():
    mysql = charts.render(MYSQL, charts.repeatable(MYSQL))
    items = mysql + relabel(mysql, "other") + charts.render(RABBIT, charts.repeatable(RABBIT))
    plan = charts.plan("ipv6", components=[{"adapter": "mysql", "release": "other"}])
    rc, out, _ = run_function(items, plan)
    # The audit still reports what the unlisted instances leave unfixed, as errors.
    assert rc == 1
    from krmfn.adapters import catalog

    versions = catalog.builtin("mysql").binding("8.8.18").versions
    assert [m.split(":")[0] for m in adapter_infos(out)] == [f"mysql adapter on release other (mysql 8.8.18, range {versions}, ipv6)"]
    assert "bind-address=*" in my_cnf(out["items"], "other-mysql")
    assert "bind-address=0.0.0.0" in my_cnf(out["items"], "rel-mysql")
    rabbit = next(o for o in out["items"] if objects.name(o) == "rel-rabbitmq" and o["kind"] == "StatefulSet")
    env = {e["name"] for e in rabbit["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert "RABBITMQ_CTL_ERL_ARGS" not in env


def test_adapter_options_are_validated():
    plan = charts.plan("ipv6", components=[{"adapter": "rabbitmq", "options": {"clustering": "carrier-pigeon"}}])
    rc, out, stderr = run_function(charts.render(RABBIT, charts.repeatable(RABBIT)), plan)
    assert rc == 1
    assert any("clustering" in r["message"] and r["severity"] == "error" for r in out["results"])
    assert "Traceback" not in stderr


MEMCACHED = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "cache-memcached", "labels": {"helm.sh/chart": "memcached-6.0.0", "app.kubernetes.io/instance": "cache"}},
    "spec": {"template": {"spec": {"containers": [{"name": "memcached", "args": ["-l", "0.0.0.0"]}]}}},
}
INLINE = {
    "apiVersion": "krmfn.dev/v1alpha2", "kind": "Adapter", "metadata": {"name": "memcached"},
    "spec": {
        "summary": "memcached listens on both families",
        "chart": "memcached",
        "intents": [{
            "id": "listen-any",
            "why": "-l 0.0.0.0 is IPv4 only",
            "edits": [{"at": "listen", "set": "::"}],
            "checks": [{"at": "listen", "equals": "::"}],
        }],
        "ranges": [{
            "versions": ">=6.0.0 <7.0.0", "evidence": ["memcached-6.0.0"], "why": "args: [-l, 0.0.0.0]",
            "places": {"listen": {"kind": ["Deployment"], "path": "spec.template.spec.containers[name=memcached].args[1]"}},
        }],
    },
}


def test_inline_adapters_add_a_component_without_code():
    rc, out, _ = run_function([copy.deepcopy(MEMCACHED)], charts.plan("ipv6", adapters=[INLINE]))
    assert rc == 0, out["results"]
    assert out["items"][0]["spec"]["template"]["spec"]["containers"][0]["args"] == ["-l", "::"]
    assert adapter_infos(out)[0].startswith("memcached adapter on release cache (memcached 6.0.0, range >=6.0.0 <7.0.0, ipv6)")


def test_an_invalid_inline_adapter_is_an_error_naming_the_field():
    broken = copy.deepcopy(INLINE)
    broken["spec"]["ranges"][0]["versions"] = "6.x"
    rc, out, _ = run_function([copy.deepcopy(MEMCACHED)], charts.plan("ipv6", adapters=[broken]))
    assert rc == 1
    [error] = [r for r in out["results"] if r["severity"] == "error"]
    assert error["field"]["path"] == "spec.adapters[0].spec.ranges[0].versions" and "'>=A <B' or '>=A'" in error["message"]
    assert out["items"] == [MEMCACHED]


def _with(path: str, value) -> dict:
    broken = copy.deepcopy(INLINE)
    node = broken
    *head, last = path.split(".")
    for key in head:
        node = node[int(key)] if key.isdigit() else node[key]
    node[int(last) if last.isdigit() else last] = value
    return broken


def test_inline_adapters_are_validated_as_user_input():
    """Regular expressions, placeholders and texts an inline adapter brings are checked when the plan is read."""
    cases = [
        ("spec.intents.0.checks.0", {"at": "listen", "matches": "("}, "spec.adapters[0].spec.intents[0].checks[0].matches"),
        ("spec.intents.0.edits.0", {"at": "listen", "set": "{nope}"}, "spec.adapters[0].spec"),
        ("spec.intents.0.edits.0", {"at": "elsewhere", "set": "::"}, "spec.adapters[0].spec"),
    ]
    for path, value, field in cases:
        rc, out, stderr = run_function([copy.deepcopy(MEMCACHED)], charts.plan("ipv6", adapters=[_with(path, value)]))
        errors = [r for r in out["results"] if r["severity"] == "error"]
        assert rc == 1 and len(errors) == 1 and errors[0]["field"]["path"].startswith(field), errors
        assert "internal error" not in errors[0]["message"] and "Traceback" not in stderr
        assert out["items"] == [MEMCACHED]


def test_an_edit_that_cannot_apply_is_an_error_on_the_field_not_a_crash():
    """mergeYaml into a text that is not YAML: the object is left alone and the result names the field."""
    adapter = _with("spec.intents.0.edits.0", {"at": "listen", "mergeYaml": {"a": 1}})
    adapter["spec"]["intents"][0]["checks"] = []
    rc, out, _ = run_function([copy.deepcopy(MEMCACHED)], charts.plan("ipv6", adapters=[adapter]))
    [error] = [r for r in out["results"] if r["severity"] == "error"]
    assert rc == 1 and error["field"]["path"] == "spec.template.spec.containers[name=memcached].args[1]"
    assert "internal error" not in error["message"]
    assert out["items"] == [MEMCACHED]
