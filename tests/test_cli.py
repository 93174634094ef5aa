"""The `krmfn` console script as kustomize, kpt and users run it: exit codes, stdout, stderr."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from krmfn.sdk import yaml12
from tests.charts import plan, resource_list

KRMFN = str(Path(sys.executable).parent / "krmfn")
SVC = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}}


def krmfn(*args, stdin: bytes | None = b""):
    return subprocess.run([KRMFN, *args], input=stdin, capture_output=True, timeout=60)


def rl(function_config, items=(SVC,)):
    return yaml12.dump(resource_list(list(items), function_config)).encode()


def test_function_sets_families_and_exits_zero():
    proc = krmfn(stdin=rl(plan("ipv6")))
    assert proc.returncode == 0, proc.stderr
    out = yaml12.load(proc.stdout.decode())
    assert out["items"][0]["spec"]["ipFamilies"] == ["IPv6"]
    assert out["results"][-1] == {"message": "Services: 1 changed, 0 kept as they were, 0 skipped", "severity": "info"}


def test_json_in_json_out():
    proc = krmfn(stdin=json.dumps(resource_list([SVC], plan("dual-ipv6"))).encode())
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["items"][0]["spec"]["ipFamilies"] == ["IPv6", "IPv4"]


def test_configmap_function_config_as_kpt_passes_key_value_arguments():
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fn"}, "data": {"ipFamilies": "IPv6,IPv4"}}
    proc = krmfn(stdin=rl(cm))
    assert proc.returncode == 0, proc.stderr
    spec = yaml12.load(proc.stdout.decode())["items"][0]["spec"]
    assert (spec["ipFamilyPolicy"], spec["ipFamilies"]) == ("PreferDualStack", ["IPv6", "IPv4"])


BAD = {
    "malformed YAML": (b"items: [\n", "malformed YAML", None),
    "not a ResourceList": (yaml12.dump(SVC).encode(), "expected kind ResourceList", None),
    "no functionConfig": (yaml12.dump(resource_list([SVC], None)).encode(), "no functionConfig", None),
    "wrong functionConfig kind": (rl({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}}), "must be an IPv6Plan", "kind"),
    "unknown field": (rl(plan("ipv6", ipFamilie=["IPv6"])), "unknown field 'ipFamilie'; allowed: ipFamilies", "spec.ipFamilie"),
    "bad family": (rl(plan("ipv6") | {"spec": {"ipFamilies": ["IPv7"]}}), "'IPv4' or 'IPv6'", "spec.ipFamilies[0]"),
    "RequireDualStack with one family": (rl(plan("ipv6", ipFamilyPolicy="RequireDualStack")), "RequireDualStack needs two", "spec"),
    "SingleStack with two families": (rl(plan("dual-ipv4", ipFamilyPolicy="SingleStack")), "SingleStack allows one", "spec"),
    "override not a bool": (rl(plan("ipv6", services={"override": "yes"})), "valid boolean", "spec.services.override"),
    "bad ConfigMap key": (
        rl({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fn"}, "data": {"families": "IPv6"}}),
        "unknown key", "data.families",
    ),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_is_an_error_result_never_a_traceback(name):
    stdin, message, path = BAD[name]
    proc = krmfn(stdin=stdin)
    stderr = proc.stderr.decode()
    assert proc.returncode == 1
    assert "Traceback" not in stderr
    assert message in stderr and stderr.startswith("krmfn: error:")
    out = yaml12.load(proc.stdout.decode())
    assert out["kind"] == "ResourceList"
    errors = [r for r in out["results"] if r["severity"] == "error"]
    assert any(message in r["message"] for r in errors)
    if path is not None:
        assert any(r.get("field", {}).get("path") == path for r in errors), errors
        assert out["items"] == [SVC], "a ResourceList that parsed comes back with every item"


def test_schema_is_json_schema_with_the_public_names():
    proc = krmfn("schema", stdin=None)
    schema = json.loads(proc.stdout)
    assert proc.returncode == 0 and schema["title"] == "IPv6Plan"
    spec = schema["$defs"]["PlanSpec"]["properties"]
    assert {"ipFamilies", "ipFamilyPolicy", "services"} <= set(spec)


def test_version_and_help():
    assert krmfn("version").stdout.decode().strip() == __import__("krmfn").__version__
    for args in (["--help"], ["values", "--help"], ["catalog", "--help"], ["schema", "--help"]):
        proc = krmfn(*args)
        assert proc.returncode == 0 and b"Usage:" in proc.stdout


def test_help_when_stdin_is_a_terminal():
    # `script` gives krmfn a real terminal on stdin, as when a user types `krmfn` alone.
    proc = subprocess.run(["script", "-qec", KRMFN, "/dev/null"], capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    assert b"Usage:" in proc.stdout


def test_values_prints_yaml_on_stdout_and_adapter_warnings_on_stderr(tmp_path):
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(yaml12.dump(plan("ipv6")))
    proc = krmfn("values", "--plan", str(plan_file), "--chart", "redis-cluster", "--version", "7.4.6")
    assert proc.returncode == 0
    assert yaml12.load(proc.stdout.decode()) == {}
    assert b"krmfn: warning: redis-cluster:" in proc.stderr and b"go-redis" in proc.stderr


def test_values_for_an_unknown_chart_is_a_clear_error(tmp_path):
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(yaml12.dump(plan("ipv6")))
    proc = krmfn("values", "--plan", str(plan_file), "--chart", "nope", "--version", "1.0.0")
    assert proc.returncode == 1 and proc.stdout == b""
    assert b"no adapter for chart nope" in proc.stderr and b"Traceback" not in proc.stderr
