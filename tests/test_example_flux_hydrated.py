"""examples/flux/hydrated: the committed overlay is what krmfn render writes, and builds to the expected output."""
import shutil
import subprocess
import sys
from pathlib import Path

from krmfn.sdk import yaml12
from tests.charts import ROOT

EXAMPLE = ROOT / "examples" / "flux" / "hydrated"
KRMFN = str(Path(sys.executable).parent / "krmfn")


def tree(root: Path) -> dict:
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_committed_overlay_is_what_render_writes(tmp_path):
    out = tmp_path / "overlay"
    proc = subprocess.run(
        [KRMFN, "render", "--plan", EXAMPLE / "plan.yaml", "-o", out, EXAMPLE / "input"],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "added ::/0 without the except entries" in proc.stderr
    assert tree(out) == tree(EXAMPLE / "overlay")


def test_overlay_builds_with_plain_kustomize_to_the_expected_output(tmp_path):
    shutil.copytree(EXAMPLE / "overlay", tmp_path / "overlay")
    proc = subprocess.run(["kubectl", "kustomize", tmp_path / "overlay"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    built = [d for d in yaml12.load_all(proc.stdout) if d]
    assert built == [d for d in yaml12.load_all((EXAMPLE / "expected-output.yaml").read_text()) if d]
    services = [o for o in built if o["kind"] == "Service"]
    assert [s["spec"]["ipFamilies"] for s in services] == [["IPv6"], ["IPv6"]]
    policy = next(o for o in built if o["kind"] == "NetworkPolicy")
    assert {"cidr": "::/0"} in [peer["ipBlock"] for peer in policy["spec"]["egress"][0]["to"]]
