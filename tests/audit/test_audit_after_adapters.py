"""What the audit still finds after function mode (docs/audit.md, "After krmfn's adapters").

Every rule runs here, the Service ones included, over the function's output for every chart
render (default and cluster variants) and stack mode. Pinned both ways.
"""
import pytest

from krmfn import audit
from krmfn import plan as plan_mod
from krmfn.sdk import objects
from tests import charts
from tests.chartrun import run_function

CASES = charts.cases()
MODES = ["ipv6", "dual-ipv4", "dual-ipv6"]

# Accepted risks, the same in every mode (docs/audit.md explains each).
REMAINING = {
    "redis-15.3.3-sentinel": [
        ("loopback-probe", "warning", "ConfigMap default/rel-redis-scripts", "data.prestop-redis.sh"),
        ("single-family-script", "warning", "ConfigMap default/rel-redis-scripts", "data.start-node.sh"),
        ("single-family-script", "warning", "ConfigMap default/rel-redis-scripts", "data.start-sentinel.sh"),
    ],
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_after_adapters(case, mode):
    rc, output, _ = run_function(charts.render(case.archive, case.values), charts.plan(mode))
    assert rc == 0
    report = audit.audit(output["items"], plan_mod.from_dict(charts.plan(mode)))
    found = [(h.rule.ID, h.severity, objects.display_name(h.obj), h.finding.path) for h in report.hits]
    assert found == REMAINING.get(case.id, [])
