"""Function mode over every real chart render and every stack mode: no errors, families set, reviewed changes."""
import pytest

from krmfn.services import is_service
from tests import charts
from tests.chartrun import account, run_function

CASES = charts.cases()


@pytest.mark.parametrize("mode", list(charts.PLANS))
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_function_over_chart(case, mode, yaml_snapshot):
    before = charts.render(case.archive, case.values)
    rc, output, stderr = run_function(charts.render(case.archive, case.values), charts.plan(mode))

    errors = [r["message"] for r in output.get("results", []) if r["severity"] == "error"]
    assert rc == 0 and not errors, errors
    assert len(output["items"]) >= len(before)
    families = charts.PLANS[mode]
    for svc in filter(is_service, output["items"]):
        spec = svc["spec"]
        if spec.get("type") == "ExternalName":
            assert "ipFamilies" not in spec
        elif case.chart != "redis-cluster" or spec.get("clusterIP") != "None":
            # redis-cluster's headless Service stays single-family on purpose (its adapter says why).
            assert spec["ipFamilies"] == families, svc["metadata"]["name"]
    assert account(before, output) == yaml_snapshot
