"""Function mode over every real chart render and every stack mode: no errors, families set, reviewed changes."""
import pytest

from krmfn.sdk import objects
from krmfn.services import is_service
from tests import charts
from tests.chartrun import account, run_function

CASES = charts.cases()


def ipv4_headless(case: charts.Case, mode: str) -> bool:
    """Whether the redis adapter's sentinel-monitors-ipv4 intent applies: its chart line does not skip
    it, the plan is dual-stack and the render runs sentinel."""
    from krmfn.adapters import catalog

    sentinel = (case.values.get("sentinel") or {}).get("enabled")
    if case.chart != "redis" or mode not in ("dual-ipv4", "dual-ipv6") or not sentinel:
        return False
    comp = catalog.builtin("redis")
    monitors = next(i for i in comp.adapter.spec.intents if i.id == "sentinel-monitors-ipv4")
    return comp.binding(case.version).active(monitors)


def family_owned(case: charts.Case, mode: str) -> set[tuple[str, str, str]]:
    """The Services whose families an adapter intent with familyFields sets for this render and mode, as the
    engine records them for the injector (the headless Service of redis-cluster and valkey-cluster, say):
    the intent's own checks prove their families, every other Service must carry the plan's."""
    from krmfn import plan as plan_mod
    from krmfn.adapters import catalog, engine

    render = charts.render(case.archive, case.values)
    return engine.apply(render, plan_mod.from_dict(charts.plan(mode)), catalog.Catalog(), None).decided


@pytest.mark.parametrize("mode", list(charts.PLANS))
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_function_over_chart(case, mode, yaml_snapshot):
    before = charts.render(case.archive, case.values)
    rc, output, stderr = run_function(charts.render(case.archive, case.values), charts.plan(mode))

    errors = [r["message"] for r in output.get("results", []) if r["severity"] == "error"]
    assert rc == 0 and not errors, errors
    assert len(output["items"]) >= len(before)
    families = charts.PLANS[mode]
    owned = family_owned(case, mode)
    for svc in filter(is_service, output["items"]):
        spec = svc["spec"]
        if spec.get("type") == "ExternalName":
            assert "ipFamilies" not in spec
        elif spec.get("clusterIP") == "None" and ipv4_headless(case, mode):
            # redis before 15.7.2 with sentinel: its start scripts need the headless Service to answer
            # IPv4 only on dual-stack (catalog/redis.yaml sentinel-monitors-ipv4 says why).
            assert (spec["ipFamilyPolicy"], spec["ipFamilies"]) == ("SingleStack", ["IPv4"]), svc["metadata"]["name"]
        elif objects.identity(svc) not in owned:
            # A Service an adapter owns keeps the families its intent chose (catalog why; its checks ran above).
            assert spec["ipFamilies"] == families, svc["metadata"]["name"]
    assert account(before, output) == yaml_snapshot
