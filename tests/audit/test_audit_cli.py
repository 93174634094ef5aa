"""`krmfn check`: inputs, formats, exit codes, and one-line errors."""
import io
import json
import subprocess
import sys

import pytest
import yaml
from click.testing import CliRunner

from tests.audit.audit_support import MYSQL_IPV4_ONLY
from tests.charts import ROOT
from krmfn.audit.cli import check
from krmfn.commands import cli

REDIS_PROBE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: redis
spec:
  template:
    spec:
      containers:
      - name: redis
        image: redis:6.2
        livenessProbe:
          exec:
            command: [sh, -c, "redis-cli -h 127.0.0.1 ping"]
"""
CLEAN = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: clean\ndata:\n  a: b\n"
DUAL = "apiVersion: krmfn.dev/v1alpha1\nkind: IPv6Plan\nspec:\n  ipFamilies: [IPv4, IPv6]\n"


def run(*args, stdin: str | bytes = "", plan=None, fmt="text", skip_non_manifests=False):
    data = stdin.encode() if isinstance(stdin, str) else stdin
    out, err = io.StringIO(), io.StringIO()
    code = check(tuple(args), plan, fmt, stdin=io.TextIOWrapper(io.BytesIO(data)), out=out, err=err,
                 skip_non_manifests=skip_non_manifests)
    return code, out.getvalue(), err.getvalue()


def test_table_and_exit_code(tmp_path):
    (tmp_path / "mysql.yaml").write_text(MYSQL_IPV4_ONLY)
    code, out, err = run(str(tmp_path / "mysql.yaml"))
    assert (code, err) == (1, "")
    lines = out.splitlines()
    assert lines[0].split() == ["SEVERITY", "RULE", "OBJECT", "FIELD"]
    assert lines[1].split() == ["error", "ipv4-wildcard-bind", "ConfigMap", "mysql", "data.my.cnf"]
    assert "line 2: bind-address=0.0.0.0" in lines[2]
    assert lines[3].strip().startswith("fix: `bind-address=*`")
    assert lines[4].strip() == f"in {tmp_path / 'mysql.yaml'} (document 1)"
    assert lines[-1] == ("1 objects checked against IPv6 single-stack (assumed, no --plan given): "
                         "1 error, 0 warnings, 0 info")


def test_warnings_alone_pass():
    code, out, _ = run("-", stdin=REDIS_PROBE)
    assert code == 0
    assert "warning   loopback-probe" in out


def test_clean_input():
    assert run("-", stdin=CLEAN) == (0, "1 objects checked against IPv6 single-stack (assumed, no --plan given): "
                                        "0 errors, 0 warnings, 0 info\n", "")


def test_plan_file_changes_the_verdict(tmp_path):
    (tmp_path / "plan.yaml").write_text(DUAL)
    code, out, _ = run("-", stdin=MYSQL_IPV4_ONLY, plan=str(tmp_path / "plan.yaml"))
    assert code == 0
    assert "warning   ipv4-wildcard-bind" in out
    assert f"dual-stack (IPv4, IPv6) ({tmp_path / 'plan.yaml'})" in out.splitlines()[-1]


def test_directories_recursively(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "mysql.yml").write_text(MYSQL_IPV4_ONLY)
    (tmp_path / "a" / "probe.json").write_text(json.dumps(yaml.safe_load(REDIS_PROBE)))
    (tmp_path / "clean.yaml").write_text(CLEAN + "---\n" + CLEAN.replace("clean", "clean2"))
    (tmp_path / "kustomization.yaml").write_text("resources: [clean.yaml]\n")
    (tmp_path / "README.md").write_text("bind 0.0.0.0")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.yaml").write_text("not: a manifest\n")
    code, out, err = run(str(tmp_path), fmt="json")
    assert (code, err) == (1, "")
    found = json.loads(out)
    assert [(f["rule"], f["file"]) for f in found] == [
        ("ipv4-wildcard-bind", {"path": str(tmp_path / "a" / "mysql.yml"), "index": 0}),
        ("loopback-probe", {"path": str(tmp_path / "a" / "probe.json"), "index": 0}),
    ]


def test_yaml_and_json_formats():
    for fmt, parse in (("yaml", yaml.safe_load), ("json", json.loads)):
        code, out, _ = run("-", stdin=MYSQL_IPV4_ONLY, fmt=fmt)
        [finding] = parse(out)
        assert code == 1
        assert finding["rule"] == "ipv4-wildcard-bind" and finding["severity"] == "error"
        assert finding["resourceRef"] == {"apiVersion": "v1", "kind": "ConfigMap", "name": "mysql"}
        assert finding["field"]["path"] == "data.my.cnf"
        assert finding["field"]["proposedValue"] == "[mysqld]\nbind-address=*\n"
        assert finding["found"] == "line 2: bind-address=0.0.0.0"
        assert finding["fix"].startswith("`bind-address=*`")
    assert run("-", stdin=CLEAN, fmt="json")[1] == "[]\n"


def test_resource_list_brings_its_plan():
    rl = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [yaml.safe_load(MYSQL_IPV4_ONLY)],
          "functionConfig": yaml.safe_load(DUAL)}
    code, out, _ = run("-", stdin=json.dumps(rl))
    assert code == 0
    assert "(the ResourceList's functionConfig)" in out


def test_resource_list_with_a_bad_plan():
    rl = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [],
          "functionConfig": {"apiVersion": "krmfn.dev/v1alpha1", "kind": "IPv6Plan", "spec": {}}}
    code, _, err = run("-", stdin=json.dumps(rl))
    assert code == 1 and err.startswith("krmfn: error: the ResourceList's functionConfig: spec.ipFamilies")


def test_kubectl_list():
    lst = {"apiVersion": "v1", "kind": "List", "items": [yaml.safe_load(MYSQL_IPV4_ONLY), yaml.safe_load(CLEAN)]}
    code, out, _ = run("-", stdin=yaml.safe_dump(lst))
    assert code == 1 and out.splitlines()[-1].startswith("2 objects")


def test_no_arguments_reads_stdin():
    assert run(stdin=MYSQL_IPV4_ONLY)[0] == 1


def test_unknown_rule_in_plan_is_a_warning_on_stderr(tmp_path):
    (tmp_path / "plan.yaml").write_text(DUAL + "  audit:\n    disable: [no-such-rule]\n")
    code, _, err = run("-", stdin=CLEAN, plan=str(tmp_path / "plan.yaml"))
    assert code == 0
    assert err.startswith("krmfn: warning: plan spec.audit.disable names unknown audit rule 'no-such-rule'")


@pytest.mark.parametrize("stdin, message", [
    ("a: [1, 2\n", "krmfn: error: malformed YAML"),
    # A list is read as a list of objects (a JSON array from `yq -o json`), so its items are judged.
    ("- a\n- b\n", "krmfn: error: stdin, items[0], is a string, not a Kubernetes object"),
    ("name: x\n", "krmfn: error: stdin is not a Kubernetes object (no apiVersion or kind)"),
    (CLEAN + "---\n42\n", "krmfn: error: stdin: document 2 is a number, not a Kubernetes object"),
    ("apiVersion: v1\nkind: List\nitems: [3]\n", "krmfn: error: stdin, items[0], is a number, not a Kubernetes object"),
    (b"\xff\xfe", "krmfn: error: input is not UTF-8"),
    ('{"apiVersion": "v1", "kind": "A", "kind": "B"}', "krmfn: error: duplicate key 'kind'"),
])
def test_bad_input_is_one_line(stdin, message):
    code, out, err = run("-", stdin=stdin)
    assert (code, out) == (1, "")
    assert err.startswith(message) and err.count("\n") == 1


def test_bad_files_and_plans(tmp_path):
    code, _, err = run(str(tmp_path / "missing.yaml"))
    assert (code, err) == (1, f"krmfn: error: {tmp_path / 'missing.yaml'}: no such file or directory\n")
    (tmp_path / "plan.yaml").write_text("apiVersion: krmfn.dev/v1alpha1\nkind: IPv6Plan\nspec:\n  ipFamilies: [IPv5]\n")
    code, _, err = run("-", stdin=CLEAN, plan=str(tmp_path / "plan.yaml"))
    assert code == 1 and err.startswith(f"krmfn: error: --plan {tmp_path / 'plan.yaml'}: spec.ipFamilies[0]")
    code, _, err = run("-", stdin=CLEAN, plan=str(tmp_path / "nope.yaml"))
    assert (code, err) == (1, f"krmfn: error: --plan {tmp_path / 'nope.yaml'}: no such file or directory\n")


def test_click_command(tmp_path):
    (tmp_path / "mysql.yaml").write_text(MYSQL_IPV4_ONLY)
    runner = CliRunner()
    result = runner.invoke(cli, ["check", str(tmp_path / "mysql.yaml"), "--format", "json"])
    assert result.exit_code == 1 and json.loads(result.output)[0]["rule"] == "ipv4-wildcard-bind"
    assert runner.invoke(cli, ["check", "-"], input=CLEAN).exit_code == 0
    help_text = " ".join(runner.invoke(cli, ["check", "--help"]).output.split())
    assert "assume an IPv6 single-stack plan" in help_text and "krmfn.dev/ignore" in help_text


def test_installed_entry_point():
    done = subprocess.run([sys.executable, "-m", "krmfn", "check", "-", "--format", "yaml"], input=MYSQL_IPV4_ONLY,
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 1 and done.stderr == ""
    assert yaml.safe_load(done.stdout)[0]["rule"] == "ipv4-wildcard-bind"
    done = subprocess.run([sys.executable, "-m", "krmfn", "check", "-"], input="a: [", capture_output=True,
                          text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr and done.stderr.count("\n") == 1


def test_skip_non_manifests_passes_over_other_yaml_and_still_judges_the_objects(tmp_path):
    """What the pre-commit hook sees in a repository: manifests beside values files and hook configs."""
    (tmp_path / "values.yaml").write_text("replicaCount: 2\n")
    (tmp_path / ".pre-commit-hooks.yaml").write_text("- id: x\n  entry: y\n")
    (tmp_path / "mixed.yaml").write_text("name: x\n---\n" + MYSQL_IPV4_ONLY + "---\n- 1\n- {a: b}\n")
    files = tuple(str(tmp_path / n) for n in ("values.yaml", ".pre-commit-hooks.yaml", "mixed.yaml"))
    code, _, err = run(*files)
    assert code == 1 and "not a Kubernetes object" in err
    code, out, err = run(*files, fmt="json", skip_non_manifests=True)
    assert (code, err) == (1, "")
    assert [(f["rule"], f["file"]["index"]) for f in json.loads(out)] == [("ipv4-wildcard-bind", 1)]
    code, out, _ = run(str(tmp_path / "values.yaml"), skip_non_manifests=True)
    assert code == 0 and out.startswith("0 objects checked")
