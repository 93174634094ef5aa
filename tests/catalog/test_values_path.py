"""The values path: `helm template` with krmfn's overlay renders manifests that pass the adapter's checks."""
import pytest

from krmfn.sdk import diff, objects, yaml12
from tests import charts
from tests.chartrun import readable, values_path

CASES = charts.cases()
MODES = ["ipv6", "dual-ipv4", "dual-ipv6"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_values_overlay_passes_checks(case, mode, yaml_snapshot):
    overlay, rendered, failures = values_path(case.archive, mode, case.values)
    assert not failures, failures

    changed, created = diff.changes(charts.render(case.archive, case.values), rendered)
    account = {
        "overlay": overlay,
        "changed": readable(changed),
        "created": [objects.display_name(o) for o in created],
    }
    assert yaml12.dump(account) == yaml_snapshot
