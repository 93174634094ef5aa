"""What the audit still finds after function mode (docs/audit.md, "After krmfn's adapters").

Every rule runs here, the Service ones included, over the function's output for every chart
render (default and cluster variants) and stack mode. Pinned both ways.
"""
import pytest

from krmfn import audit
from krmfn.adapters import semver
from krmfn import plan as plan_mod
from krmfn.sdk import objects
from tests import charts
from tests.chartrun import run_function

CASES = charts.cases()
MODES = ["ipv6", "dual-ipv4", "dual-ipv6"]

# Accepted risks, the same in every mode (docs/audit.md explains each): (chart, versions, render) -> findings.
_PRESTOP = ("loopback-probe", "warning", "ConfigMap default/rel-redis-scripts", "data.prestop-redis.sh")
_SENTINEL_SCRIPT = ("single-family-script", "warning", "ConfigMap default/rel-redis-scripts", "data.start-sentinel.sh")
_MQ_PROBES = [("loopback-probe", "warning", "StatefulSet default/rel-rabbitmq",
               f"spec.template.spec.containers[0].{probe}.exec.command[2]") for probe in ("livenessProbe", "readinessProbe")]
REMAINING = [
    ("redis", ">=15.0.0 <15.7.2", "sentinel", [
        _PRESTOP,
        ("single-family-script", "warning", "ConfigMap default/rel-redis-scripts", "data.start-node.sh"),
        _SENTINEL_SCRIPT,
    ]),
    # 15.7.2 on, start-sentinel.sh's `getent hosts` only tests that a name resolves: no single-family-script.
    ("redis", ">=15.7.2", "sentinel", [_PRESTOP]),
    # valkey with sentinel: the pre-stop hook's `valkey-cli -h 127.0.0.1` reaches the bind-less listener.
    ("valkey", ">=2.0.0", "cluster", [
        ("loopback-probe", "warning", "ConfigMap default/rel-valkey-scripts", "data.prestop-valkey.sh")]),
    # From 11.15.7 the probes curl 127.0.0.1:15672; krmfn's `management.tcp.ip = ::` accepts it.
    ("rabbitmq", ">=11.15.7", "default", _MQ_PROBES),
    ("rabbitmq", ">=11.15.7", "cluster", _MQ_PROBES),
    # kafka: the init script writes the advertised EXTERNAL listener as `EXTERNAL://${host}:${port}`, unbracketed
    # (catalog/kafka.yaml external-advertised-unbracketed). Up to 31.x kafka-init.sh carries that line in every
    # render and runs it only with external access; from 32.0.0 the line is in the init container only then.
    *[("kafka", ">=30.0.0 <32.0.0", variant, [
        ("unbracketed-host-variable", "warning", "ConfigMap default/rel-kafka-scripts", "data.kafka-init.sh")])
      for variant in ("default", "cluster", "external", "zookeeper")],
    ("kafka", ">=32.0.0", "external", [("unbracketed-host-variable", "warning", "StatefulSet default/rel-kafka-broker",
                                        "spec.template.spec.initContainers[0].args[1]")]),
    # keycloak: the same postgresql probes, in the postgresql subchart it bundles (its own instance, the
    # postgresql adapter's); the keycloak objects themselves leave nothing.
    *[("keycloak", ">=23.0.0", variant, [
        ("loopback-probe", "warning", "StatefulSet default/rel-postgresql", f"spec.template.spec.containers[0].{probe}")
        for probe in ("livenessProbe.exec.command[2]", "readinessProbe.exec.command[3]")]) for variant in ("default", "cluster")],
    # postgresql / postgresql-ha: the probes dial 127.0.0.1, which listen_addresses '*' (the image's, or the
    # adapter's in a postgresql.conf of yours) keeps; never '::' (catalog/postgresql.yaml listen-all-addresses).
    *[("postgresql", ">=15.0.0", variant, [
        ("loopback-probe", "warning", f"StatefulSet default/{sts}", f"spec.template.spec.containers[0].{probe}")
        for sts in sets for probe in ("livenessProbe.exec.command[2]", "readinessProbe.exec.command[3]")])
      for variant, sets in (("default", ["rel-postgresql"]), ("cluster", ["rel-postgresql-primary", "rel-postgresql-read"]))],
    *[("postgresql-ha", "<16.0.0", variant, [
        ("loopback-probe", "warning", f"StatefulSet default/{sts}", f"spec.template.spec.containers[0].{probe}.exec.command[2]")
        for sts in sets for probe in ("livenessProbe", "readinessProbe")])
      for variant, sets in (("default", ["rel-postgresql-ha-postgresql"]),
                            ("cluster", ["rel-postgresql-ha-postgresql", "rel-postgresql-ha-postgresql-witness"]))],
    *[("postgresql-ha", ">=16.0.0", variant, [
        ("loopback-probe", "warning", "ConfigMap default/rel-postgresql-ha-postgresql-scripts", "data.liveness-probe.sh"),
        ("loopback-probe", "warning", "ConfigMap default/rel-postgresql-ha-postgresql-scripts", "data.readiness-probe.sh"),
        *witness]) for variant, witness in (("default", []), ("cluster", [
            ("loopback-probe", "warning", "StatefulSet default/rel-postgresql-ha-postgresql-witness",
             "spec.template.spec.containers[0].livenessProbe.exec.command[4]"),
            ("loopback-probe", "warning", "StatefulSet default/rel-postgresql-ha-postgresql-witness",
             "spec.template.spec.containers[0].readinessProbe.exec.command[2]")]))],
]


# Accepted in one mode only: (chart, versions, render, mode) -> findings added to REMAINING's.
REMAINING_IN_MODE = [
    # The redis adapter makes the sentinel set's headless Service SingleStack [IPv4] on dual-stack
    # before 15.7.2 (catalog/redis.yaml sentinel-monitors-ipv4): IPv4 first against an IPv6-first plan.
    ("redis", ">=15.0.0 <15.7.2", "sentinel", "dual-ipv6", [
        ("service-family", "warning", "Service default/rel-redis-headless", "spec.ipFamilies"),
    ]),
]


def remaining(case, mode: str) -> list[tuple]:
    found = next((found for chart, versions, variant, found in REMAINING
                  if case.chart == chart and case.variant == variant and semver.matches(case.version, versions)), [])
    return found + [f for chart, versions, variant, in_mode, extra in REMAINING_IN_MODE
                    if case.chart == chart and case.variant == variant and mode == in_mode
                    and semver.matches(case.version, versions) for f in extra]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_after_adapters(case, mode):
    rc, output, _ = run_function(charts.render(case.archive, case.values), charts.plan(mode))
    assert rc == 0
    report = audit.audit(output["items"], plan_mod.from_dict(charts.plan(mode)))
    found = [(h.rule.ID, h.severity, objects.display_name(h.obj), h.finding.path) for h in report.hits]
    assert found == remaining(case, mode)
