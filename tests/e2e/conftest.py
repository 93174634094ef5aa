"""Real kustomize, kpt and podman running krmfn: no mocks.

Container tests need `make podman-setup` and `make image` (both part of `make test`).
They skip only where podman is absent and this is not CI: in CI (CI=true) a missing
tool fails the run, so an install step that silently stopped working cannot pass.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
IMAGE = "localhost/krmfn:dev"
IN_CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")
# The venv pytest runs from is the one `make venv` installed krmfn into.
VENV_BIN = Path(sys.executable).parent


def unavailable(reason: str) -> NoReturn:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the Makefile must provide it)")
    pytest.skip(reason)


def run(cmd: list[str], env: dict[str, str], input: str | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    # CI has no stdin: a client that reads it must get an explicit input or nothing.
    stdin = subprocess.DEVNULL if input is None else None
    proc = subprocess.run(
        cmd, env=env, cwd=REPO, input=input, stdin=stdin, capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, f"{' '.join(cmd)} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc


def yaml_docs(text: str) -> list:
    return [d for d in yaml.safe_load_all(text) if d is not None]


def comments(text: str) -> list[str]:
    """Every comment in a YAML file, head and inline: what kpt must carry through a render."""
    return [m.group(1).strip() for line in text.splitlines() if (m := re.search(r"(?:^|\s)(#.*)$", line))]


def assert_ipv6_services(docs: list) -> None:
    services = [d for d in docs if d.get("kind") == "Service"]
    assert {s["spec"].get("type", "ClusterIP") for s in services} >= {"ClusterIP", "ExternalName"}
    assert any(s["spec"].get("clusterIP") == "None" for s in services), "no headless Service in the example"
    for s in services:
        name, spec = s["metadata"]["name"], s["spec"]
        if spec.get("type") == "ExternalName":
            assert "ipFamilies" not in spec and "ipFamilyPolicy" not in spec, f"{name}: ExternalName got IP families"
        else:
            assert spec.get("ipFamilies") == ["IPv6"], f"{name}: ipFamilies {spec.get('ipFamilies')!r}"
            assert spec.get("ipFamilyPolicy") == "SingleStack", f"{name}: ipFamilyPolicy {spec.get('ipFamilyPolicy')!r}"


@pytest.fixture(scope="session")
def base_env() -> dict[str, str]:
    """The caller's environment with krmfn's venv first on PATH, where kpt finds `exec: krmfn`."""
    if not (VENV_BIN / "krmfn").exists():
        pytest.fail(f"{VENV_BIN / 'krmfn'} missing: run the tests from the venv `make venv` builds")
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def _tool(name: str, env: dict[str, str]) -> str:
    path = shutil.which(name, path=env["PATH"])
    if path is None:
        unavailable(f"{name} is not installed")
    return path


@pytest.fixture(scope="session")
def kpt(base_env) -> str:
    return _tool("kpt", base_env)


@pytest.fixture(scope="session")
def kubectl(base_env) -> str:
    return _tool("kubectl", base_env)


@pytest.fixture(scope="session")
def container_env(base_env) -> dict[str, str]:
    """base_env plus hack/container-env.sh, after checking podman can run the krmfn image."""
    if shutil.which("podman") is None:
        unavailable("podman is not installed (`make podman-setup` installs it)")
    # The script is the one definition of this environment; sourcing it keeps the tests
    # and the Makefile from drifting apart.
    dump = subprocess.run(
        ["bash", "-c", 'source hack/container-env.sh && env -0'],
        cwd=REPO, env=base_env, capture_output=True, check=True,
    ).stdout.decode()
    env = dict(kv.split("=", 1) for kv in dump.split("\0") if kv)
    for needed in (Path(env["CONTAINERS_CONF"]), REPO / ".cache" / "shim" / "docker"):
        if not needed.exists():
            pytest.fail(f"{needed} missing: run `make podman-setup`")
    if subprocess.run(["podman", "image", "exists", IMAGE], env=env).returncode != 0:
        pytest.fail(f"{IMAGE} missing: run `make image`")
    return env
