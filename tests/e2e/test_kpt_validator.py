"""krmfn as a kpt validator (examples/kpt/validate): after the mutators, audit only, never an edit."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from krmfn import audit, plan as plan_mod
from krmfn.sdk import manifests, yaml12

from .conftest import EXAMPLES, IMAGE, VENV_BIN, run

PACKAGE = EXAMPLES / "kpt" / "validate"
EXPECTED = (EXAMPLES / "kpt" / "expected" / "services.yaml").read_text()
# MySQL listening on the IPv4 wildcard: no mutator here fixes a plain ConfigMap, the validator must stop it.
HAZARD = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: mysql
  namespace: shop
data:
  my.cnf: |
    [mysqld]
    bind-address=0.0.0.0
"""


def files(pkg: Path) -> dict[str, bytes]:
    return {p.relative_to(pkg).as_posix(): p.read_bytes() for p in sorted(pkg.rglob("*")) if p.is_file()}


def kptfile(pkg: Path) -> dict:
    return yaml12.load((pkg / "Kptfile").read_text())


def render(kpt: str, pkg: Path, env: dict, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([kpt, "fn", "render", str(pkg), *extra], env=env, capture_output=True, text=True,
                          timeout=180, stdin=subprocess.DEVNULL)


def error_messages(pkg: Path) -> list[str]:
    """What the audit, run here, says about the hazard under the package's IPv6Check: what stderr must carry."""
    objs, _ = manifests.read((str(pkg / "mysql.yaml"),), None)
    check = plan_mod.from_file(str(pkg / kptfile(pkg)["pipeline"]["validators"][0]["configPath"]))
    found = [h.message for h in audit.audit(objs, check).hits if h.severity == "error"]
    assert found, "the hazard must be an error finding"
    return found


def test_example_runs_the_validator_after_the_mutator():
    pipeline = kptfile(PACKAGE)["pipeline"]
    [mutator], [validator] = pipeline["mutators"], pipeline["validators"]
    assert yaml12.load((PACKAGE / mutator["configPath"]).read_text())["kind"] == plan_mod.KIND
    check = yaml12.load((PACKAGE / validator["configPath"]).read_text())
    assert check["kind"] == plan_mod.CHECK_KIND
    # The same plan on both sides: what the mutator makes is judged by the plan it was made for.
    assert check["spec"] == yaml12.load((PACKAGE / mutator["configPath"]).read_text())["spec"]


def test_clean_package_passes_and_the_validator_changes_nothing(kpt, base_env, tmp_path):
    pkg = shutil.copytree(PACKAGE, tmp_path / "shop")
    proc = render(kpt, pkg, base_env, "--allow-exec")
    assert proc.returncode == 0, proc.stderr
    assert (pkg / "services.yaml").read_text() == EXPECTED
    # The same package rendered by the mutator alone: byte for byte what the whole pipeline left.
    alone = shutil.copytree(PACKAGE, tmp_path / "alone")
    pipeline = kptfile(alone)
    del pipeline["pipeline"]["validators"]
    (alone / "Kptfile").write_text(yaml12.dump(pipeline))
    run([kpt, "fn", "render", str(alone), "--allow-exec"], base_env)
    rendered = files(pkg)
    assert {k: v for k, v in rendered.items() if k != "Kptfile"} == {
        k: v for k, v in files(alone).items() if k != "Kptfile"}
    # render throws a validator's items away; eval writes them back, so this is where an edit would
    # show: on the rendered package, and on the package as shipped, which the mutator would change.
    fresh = shutil.copytree(PACKAGE, tmp_path / "fresh")
    for target, before in ((pkg, rendered), (fresh, files(PACKAGE))):
        check = target / kptfile(target)["pipeline"]["validators"][0]["configPath"]
        run([kpt, "fn", "eval", str(target), "--exec", str(VENV_BIN / "krmfn"), "--fn-config", str(check)], base_env)
        assert files(target) == before


def test_an_error_finding_fails_the_render_with_the_finding_on_stderr(kpt, base_env, tmp_path):
    pkg = shutil.copytree(PACKAGE, tmp_path / "shop")
    (pkg / "mysql.yaml").write_text(HAZARD)
    before = files(pkg)
    proc = render(kpt, pkg, base_env, "--allow-exec")
    assert proc.returncode != 0, proc.stderr
    for message in error_messages(pkg):
        assert message in proc.stderr
    assert '[FAIL] "krmfn"' in proc.stderr
    # A failed render writes nothing back: not even the mutator's changes.
    assert files(pkg) == before


@pytest.mark.container
def test_container_validator(kpt, container_env, tmp_path):
    """The same pipeline from the image: a Kptfile passes a container no arguments, only the IPv6Check."""
    pkg = shutil.copytree(PACKAGE, tmp_path / "shop")
    doc = kptfile(pkg)
    for fn in doc["pipeline"]["mutators"] + doc["pipeline"]["validators"]:
        del fn["exec"]
        fn["image"] = IMAGE
    (pkg / "Kptfile").write_text(yaml12.dump(doc))
    run([kpt, "fn", "render", str(pkg), "--image-pull-policy", "never"], container_env)
    assert (pkg / "services.yaml").read_text() == EXPECTED
    (pkg / "mysql.yaml").write_text(HAZARD)
    proc = render(kpt, pkg, container_env, "--image-pull-policy", "never")
    assert proc.returncode != 0 and all(m in proc.stderr for m in error_messages(pkg))
