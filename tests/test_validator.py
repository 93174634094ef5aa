"""The validator form of the function: an IPv6Check functionConfig audits and changes no item."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from krmfn import audit, plan as plan_mod
from krmfn.sdk import yaml12
from tests.charts import ROOT, plan, resource_list

KRMFN = str(Path(sys.executable).parent / "krmfn")
REALISTIC = yaml12.load((ROOT / "tests" / "reliability" / "realistic.yaml").read_text())
MYSQL = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "mysql"},
         "data": {"my.cnf": "[mysqld]\nbind-address=0.0.0.0\n"}}
# Families the IPv6-only plan lacks: the mutator's injector keeps and warns, the audit's service-family rule errs.
IPV4_SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "legacy"},
                "spec": {"ipFamilies": ["IPv4"], "ports": [{"port": 80}]}}


def check_config(plan_doc: dict) -> dict:
    return {**plan_doc, "kind": plan_mod.CHECK_KIND}


def run(doc: dict, as_json: bool = False) -> tuple[int, dict, str]:
    data = json.dumps(doc) if as_json else yaml12.dump(doc)
    proc = subprocess.run([KRMFN], input=data.encode(), capture_output=True, timeout=60)
    out = json.loads(proc.stdout) if as_json else yaml12.load(proc.stdout.decode())
    return proc.returncode, out, proc.stderr.decode()


def messages(results) -> list[str]:
    return [r.message for r in results]


def test_items_come_back_as_they_went_in_with_the_audits_findings():
    items = REALISTIC["items"] + [MYSQL]
    fc = check_config(REALISTIC["functionConfig"])
    code, out, stderr = run(resource_list(items, fc))
    expected = audit.run(yaml12.load(yaml12.dump(items)), plan_mod.from_function_config(fc))
    assert out["items"] == items
    assert [r["message"] for r in out["results"]] == messages(expected)
    assert any(r.severity == "error" for r in expected), "the input must hold an error finding"
    assert code == 1 and "[ipv4-wildcard-bind]" in stderr
    # The same plan as a mutator changes these items: the equality above is the validator's doing.
    _, mutated, _ = run(resource_list(items, REALISTIC["functionConfig"]))
    assert mutated["items"] != items


def test_json_in_json_out_unchanged():
    items = [IPV4_SERVICE, MYSQL]
    code, out, _ = run(resource_list(items, check_config(plan("ipv6"))), as_json=True)
    assert out["items"] == items and code == 1


def test_service_rules_the_injector_covers_in_the_mutator_run_in_the_validator():
    code, out, stderr = run(resource_list([IPV4_SERVICE], check_config(plan("ipv6"))))
    errors = [r for r in out["results"] if r["severity"] == "error"]
    assert code == 1 and errors and all(r["message"].startswith("[service-family]") for r in errors)
    assert "[service-family]" in stderr
    # The mutator leaves this Service to its injector, which keeps it with a warning and no error.
    code, mutated, _ = run(resource_list([IPV4_SERVICE], plan("ipv6")))
    assert code == 0 and not any("[service-family]" in r["message"] for r in mutated.get("results", []))


def test_clean_input_passes_without_results():
    svc = {**IPV4_SERVICE, "spec": {"ipFamilies": ["IPv6"], "ipFamilyPolicy": "SingleStack", "ports": [{"port": 80}]}}
    code, out, stderr = run(resource_list([svc], check_config(plan("ipv6"))))
    assert (code, stderr, out["items"]) == (0, "", [svc])
    assert "results" not in out


def test_an_invalid_check_config_is_an_error_naming_the_field():
    code, out, _ = run(resource_list([MYSQL], check_config(plan("ipv6", ipFamilie=["IPv6"]))))
    assert code == 1 and out["items"] == [MYSQL]
    assert any(r.get("field", {}).get("path") == "spec.ipFamilie" for r in out["results"])


def test_the_validator_path_never_imports_click():
    # As the mutator's: start-up is paid on every render.
    probe = ("import atexit, sys; atexit.register(lambda: sys.stderr.write('\\nclick loaded: %s\\n' % ('click' in "
             "sys.modules))); sys.argv = ['krmfn']; from krmfn.cli import main; main()")
    proc = subprocess.run([sys.executable, "-c", probe], input=yaml12.dump(
        resource_list([MYSQL], check_config(plan("ipv6")))).encode(), capture_output=True, timeout=60)
    assert b"[ipv4-wildcard-bind]" in proc.stderr
    assert proc.stderr.rstrip().endswith(b"click loaded: False")


def test_the_json_schema_accepts_both_kinds():
    proc = subprocess.run([KRMFN, "schema"], capture_output=True, timeout=60)
    assert set(json.loads(proc.stdout)["properties"]["kind"]["enum"]) == {plan_mod.KIND, plan_mod.CHECK_KIND}
