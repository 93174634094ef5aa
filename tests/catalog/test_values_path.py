"""The values path: `helm template` with krmfn's overlay renders manifests that pass the adapter's checks."""
import pytest

from krmfn import plan as plan_mod
from krmfn.adapters import catalog, engine
from krmfn.sdk import diff, objects, yaml12
from tests import charts

CASES = charts.cases()
MODES = ["ipv6", "dual-ipv4", "dual-ipv6"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_values_overlay_passes_checks(case, mode, yaml_snapshot):
    plan = plan_mod.from_dict(charts.plan(mode))
    adapter = catalog.for_chart(case.chart, case.version)
    assert adapter is not None, f"no adapter covers {case.chart} {case.version}"

    overlay = engine.values_overlay(adapter, case.version, plan, charts.RELEASE, charts.NAMESPACE, None, case.values)
    rendered = charts.render(case.archive, charts.merge(case.values, overlay))

    changes, env = engine.values_changes(adapter, case.version, plan, charts.RELEASE, charts.NAMESPACE, None, case.values)
    failures = engine.run_checks(adapter, changes, rendered, env, "values")
    assert not failures, [f.message for f in failures]

    changed, created = diff.changes(charts.render(case.archive, case.values), rendered)
    account = {
        "overlay": overlay,
        "changed": {objects.display_name(o): patch for o, patch in changed},
        "created": [objects.display_name(o) for o in created],
    }
    assert yaml12.dump(account) == yaml_snapshot
