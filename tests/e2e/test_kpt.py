"""kpt runs krmfn as an exec function and from its image (examples/kpt)."""
from __future__ import annotations

import shutil

import pytest

from .conftest import EXAMPLES, VENV_BIN, assert_ipv6_services, comments, run, yaml_docs

PACKAGES = EXAMPLES / "kpt"
EXPECTED = (PACKAGES / "expected" / "services.yaml").read_text()


def copy_package(name: str, tmp_path):
    """A private copy: eval and render write the package in place."""
    return shutil.copytree(PACKAGES / name, tmp_path / name)


def assert_rendered(pkg, original) -> None:
    rendered = (pkg / "services.yaml").read_text()
    assert rendered == EXPECTED
    assert_ipv6_services(yaml_docs(rendered))
    for path in sorted(original.iterdir()):
        before, after = path.read_text(), (pkg / path.name).read_text()
        missing = [c for c in comments(before) if c not in comments(after)]
        assert not missing, f"{path.name} lost comments: {missing}"
        if path.name != "services.yaml":
            assert after == before, f"{path.name} changed"


def test_eval_exec(kpt, base_env, tmp_path):
    pkg = copy_package("container", tmp_path)
    run([kpt, "fn", "eval", str(pkg), "--exec", str(VENV_BIN / "krmfn"), "--fn-config", str(pkg / "fn-config.yaml")], base_env)
    assert_rendered(pkg, PACKAGES / "container")


def test_render_exec(kpt, base_env, tmp_path):
    pkg = copy_package("exec", tmp_path)
    # `exec: krmfn` resolves through PATH, where base_env puts the venv first.
    run([kpt, "fn", "render", str(pkg), "--allow-exec"], base_env)
    assert_rendered(pkg, PACKAGES / "exec")


@pytest.mark.container
def test_render_container(kpt, container_env, tmp_path):
    pkg = copy_package("container", tmp_path)
    # localhost/ images are never in a registry: pulling could only fail, slowly.
    run([kpt, "fn", "render", str(pkg), "--image-pull-policy", "never"], container_env)
    assert_rendered(pkg, PACKAGES / "container")
