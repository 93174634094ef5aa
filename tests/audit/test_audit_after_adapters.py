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
    ("redis", ">=15.7.2", "sentinel", [_PRESTOP, _SENTINEL_SCRIPT]),
    # From 11.15.7 the probes curl 127.0.0.1:15672; krmfn's `management.tcp.ip = ::` accepts it.
    ("rabbitmq", ">=11.15.7", "default", _MQ_PROBES),
    ("rabbitmq", ">=11.15.7", "cluster", _MQ_PROBES),
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
