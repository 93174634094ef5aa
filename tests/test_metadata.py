"""metadata.yaml, as kpt-functions-catalog functions carry it, and `krmfn --help`, which `kpt fn doc` shows."""
from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

from krmfn import plan as plan_mod
from krmfn.sdk import yaml12
from tests.charts import ROOT

METADATA = yaml12.load((ROOT / "metadata.yaml").read_text())
# Each example and the test that renders it and compares the result with the example's expected output.
CHECKED_BY = {
    "examples/kpt/container": ("tests.e2e.test_kpt", "test_render_container"),
    "examples/kpt/exec": ("tests.e2e.test_kpt", "test_render_exec"),
    "examples/kpt/validate": ("tests.e2e.test_kpt_validator",
                              "test_clean_package_passes_and_the_validator_changes_nothing"),
    "examples/flux/release": ("tests.gitops.test_examples", "test_flux_example_with_kpt"),
}


def test_catalog_fields():
    assert set(METADATA["tags"]) == {"mutator", "validator"}
    makefile = (ROOT / "Makefile").read_text()
    assert METADATA["image"] == re.search(r"^IMAGE := (\S+)$", makefile, re.M).group(1)
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert METADATA["license"] == re.search(r'license = \{ text = "([^"]+)" \}', pyproject).group(1)


def test_every_example_exists_and_is_checked_by_a_test():
    examples = METADATA["examplePackageURLs"]
    assert sorted(examples) == sorted(CHECKED_BY), "an example in metadata.yaml needs its test in CHECKED_BY"
    for example in examples:
        path = ROOT / example
        assert path.is_dir() and any(p.suffix == ".yaml" for p in path.iterdir()), example
        module_name, test_name = CHECKED_BY[example]
        module = importlib.import_module(module_name)
        assert callable(getattr(module, test_name, None)), f"{module_name}.{test_name} is gone"
        # The test's module names the example's directories, so it renders this one and not a neighbour.
        source = Path(module.__file__).read_text()
        for part in Path(example).parts[1:]:
            assert f'"{part}"' in source, f"{module_name} does not name {part!r} of {example}"


def test_help_describes_the_function_and_both_function_configs():
    """`kpt fn doc --image IMAGE` runs the image with --help: that text must say how to configure it."""
    out = subprocess.run([str(Path(sys.executable).parent / "krmfn"), "--help"], capture_output=True, text=True,
                         timeout=60).stdout
    for kind in (plan_mod.KIND, plan_mod.CHECK_KIND, "ConfigMap"):
        assert kind in out
    for field in plan_mod.PlanSpec.model_fields:
        assert f"spec.{field}" in out, f"--help does not describe spec.{field}"
    for key in plan_mod._CONFIGMAP_KEYS:
        assert key in out
