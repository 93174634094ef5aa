"""examples/kustomize-exec: what kubectl kustomize does with an exec function, and what the exec path yields."""
import os
import subprocess
import sys
from pathlib import Path

from krmfn.sdk import yaml12
from tests.charts import ROOT, resource_list

EXAMPLE = ROOT / "examples" / "kustomize-exec"


def docs(text: str) -> list[dict]:
    return [d for d in yaml12.load_all(text) if d]


def test_kubectl_kustomize_silently_skips_the_exec_function():
    proc = subprocess.run(["kubectl", "kustomize", "--enable-alpha-plugins", EXAMPLE], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert docs(proc.stdout) == docs((EXAMPLE / "services.yaml").read_text())


def test_the_exec_wrapper_speaks_the_resource_list_protocol_and_gives_the_expected_output():
    # What kustomize build --enable-exec does: the fn config as functionConfig, the resources as items.
    rl = resource_list(docs((EXAMPLE / "services.yaml").read_text()), docs((EXAMPLE / "fn.yaml").read_text())[0])
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(["./krmfn-exec"], cwd=EXAMPLE, input=yaml12.dump(rl), capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert yaml12.load(proc.stdout)["items"] == docs((EXAMPLE / "expected" / "output.yaml").read_text())
