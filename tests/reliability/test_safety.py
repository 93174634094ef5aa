"""Safe by construction: nothing named by the input is constructed, imported, opened or run.

YAML tags that make unsafe loaders call Python are refused before anything is built, and a
functionConfig that names a module is refused like any other invalid plan. The audit-hook
test watches the interpreter itself while the whole bad-input corpus goes through krmfn.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import BAD_INPUTS, plan, resource_list, run_cli, write12

PAYLOADS = [
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/new:subprocess.Popen [[touch, '{marker}']]",
    "!!python/object/apply:builtins.exec [\"open('{marker}', 'w')\"]",
    "!!python/object:pathlib.Path {{}}",
    "!!python/name:os.system ''",
    "!!python/module:os ''",
]
# Where a payload can sit: a value in an object, a key, the functionConfig, behind an alias.
_DATA = "items:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {{name: x}}\n  data:\n"
PLACES = {
    "value": _DATA + "    run: {payload}\n",
    "key": _DATA + "    ? {payload}\n    : x\n",
    "function-config": "functionConfig: {payload}\nitems: []\n",
    "alias": _DATA + "    a: &p {payload}\n    b: *p\n",
}


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("payload", PAYLOADS, ids=[p.split()[0] for p in PAYLOADS])
def test_python_tags_do_nothing(payload, place, tmp_path):
    marker = tmp_path / "was-here"
    body = PLACES[place].format(payload=payload.format(marker=marker))
    run = run_cli(b"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n" + body.encode())
    assert run.rc == 1 and "Traceback" not in run.err
    assert "unsupported tag 'tag:yaml.org,2002:python/" in run.err
    assert not marker.exists()


MODULE_PATHS = {
    "kind": ({"apiVersion": "krmfn.dev/v1alpha1", "kind": "os.system", "spec": {"ipFamilies": ["IPv6"]}}, "kind"),
    "apiVersion": ({"apiVersion": "builtins/eval", "kind": "IPv6Plan", "spec": {"ipFamilies": ["IPv6"]}}, "apiVersion"),
    "component": ({**plan(["IPv6"]), "spec": {"ipFamilies": ["IPv6"], "components": [{"adapter": "os.system"}]}},
                  "spec.components[0].adapter"),
    "spec-field": ({**plan(["IPv6"]), "spec": {"ipFamilies": ["IPv6"], "hook": "os:system"}}, "spec.hook"),
    "configmap-key": ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "krmfn"},
                       "data": {"ipFamilies": "IPv6", "module": "os.system"}}, "data.module"),
}


@pytest.mark.parametrize("name", MODULE_PATHS)
def test_function_config_naming_a_module_is_refused(name):
    fc, path = MODULE_PATHS[name]
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}}
    run = run_cli(write12(resource_list([svc], fc)).encode())
    assert run.rc == 1 and "Traceback" not in run.err
    assert path in [r.get("field", {}).get("path") for r in run.results("error")]
    assert run.doc["items"] == [svc]  # an invalid plan changes nothing


# Runs every corpus file through krmfn.function.run twice, the second time under an audit hook
# that records what the interpreter is asked to do. The first pass warms lazy imports and the
# adapter catalog cache, so anything recorded is something an input caused.
_AUDIT = """
import io, json, sys
from pathlib import Path
from krmfn.function import run

inputs = [Path(p).read_bytes() for p in sys.argv[1:]]
def run_all():
    for data in inputs:
        run(data, io.StringIO(), io.StringIO())

run_all()
seen = []
watched = ("exec", "compile", "import", "open", "os.system", "os.exec", "os.spawn", "os.posix_spawn",
           "os.fork", "subprocess.Popen", "ctypes.", "pickle.", "marshal.", "socket.", "urllib.")
sys.addaudithook(lambda event, args: seen.append([event, repr(args)[:300]]) if event.startswith(watched) else None)
run_all()
print(json.dumps(seen))
"""


def test_no_input_makes_the_interpreter_import_open_or_run_anything():
    files = sorted(str(p) for p in BAD_INPUTS.iterdir() if p.name != "index.yaml")
    proc = subprocess.run([sys.executable, "-c", _AUDIT, *files], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []
