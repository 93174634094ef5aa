"""Idempotence over the real chart renders: function mode on its own output changes no object."""
import pytest

from krmfn.sdk import yaml12
from tests import charts
from tests.chartrun import run_function

CASES = charts.cases()


@pytest.mark.parametrize("mode", list(charts.PLANS))
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_second_run_changes_nothing(case, mode):
    rc, first, _ = run_function(charts.render(case.archive, case.values), charts.plan(mode))
    assert rc == 0
    rc, second, _ = run_function(yaml12.load(yaml12.dump(first))["items"], charts.plan(mode))
    assert rc == 0
    assert yaml12.dump(second["items"]) == yaml12.dump(first["items"])
