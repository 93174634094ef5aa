"""The audit in function mode: it runs after the transforms, on what the function hands back.

The objects here carry no chart labels, so no adapter claims them: what changes between the input
and the audit is the Service injector's work alone.
"""
import io


from audit_support import configmap
from krmfn import audit, function
from krmfn import plan as plan_mod
from krmfn.sdk import resourcelist, yaml12

PINNED = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"},
          "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}], "ipFamilyPolicy": "SingleStack",
                   "ipFamilies": ["IPv4"]}}
MYSQL = configmap("mysql", **{"my.cnf": "[mysqld]\nbind-address=0.0.0.0\n"})


def resource_list(items, **services) -> bytes:
    spec: dict = {"ipFamilies": ["IPv6"]}
    if services:
        spec["services"] = services
    return yaml12.dump({
        "apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items,
        "functionConfig": {"apiVersion": "krmfn.dev/v1alpha1", "kind": "IPv6Plan", "spec": spec},
    }).encode()


def transformed(data: bytes) -> resourcelist.ResourceList:
    rl = resourcelist.parse(data)
    function.transform(rl)
    return rl


def audit_messages(rl) -> list[str]:
    return [r.message for r in rl.results if r.message.startswith("[")]


def test_service_settings_the_injector_kept_are_reported_once_by_the_injector():
    rl = transformed(resource_list([PINNED]))
    assert audit_messages(rl) == []
    [warning] = [r for r in rl.results if r.severity == "warning"]
    assert warning.path == "spec.ipFamilies" and warning.current == ["IPv4"]
    # krmfn check, which has no injector, reports the same Service through the audit rule.
    report = audit.audit([PINNED], plan_mod.from_function_config(yaml12.load(resource_list([]).decode())["functionConfig"]))
    assert [h.rule.ID for h in report.hits] == ["service-family"]


def test_services_the_injector_rewrote_are_not():
    assert audit_messages(transformed(resource_list([PINNED], override=True))) == []


def test_results_serialize_into_the_resource_list():
    out = yaml12.load(transformed(resource_list([MYSQL])).serialize())
    [finding] = [r for r in out["results"] if r["message"].startswith("[")]
    assert finding["severity"] == "error"
    assert finding["resourceRef"] == {"apiVersion": "v1", "kind": "ConfigMap", "name": "mysql", "namespace": "default"}
    assert finding["field"] == {"path": "data.my.cnf", "currentValue": "[mysqld]\nbind-address=0.0.0.0\n",
                                "proposedValue": "[mysqld]\nbind-address=*\n"}


def test_function_mode_reports_audit_findings():
    out, err = io.StringIO(), io.StringIO()
    assert function.run(resource_list([MYSQL]), out, err) == 1
    messages = [r["message"] for r in yaml12.load(out.getvalue())["results"]]
    assert any(m.startswith("[ipv4-wildcard-bind]") for m in messages)
    assert "ConfigMap default/mysql: data.my.cnf: [ipv4-wildcard-bind]" in err.getvalue()
