"""The shipped .pre-commit-hooks.yaml, installed and run by the real pre-commit, offline.

pre-commit clones the hook repository and pip-installs it into a virtualenv of its own. Here the
repository is a commit of this working tree (file://), and pip reads krmfn's dependencies from the
wheels `make venv` downloads into .cache/hook-wheels, never from an index.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from krmfn import audit, plan as plan_mod
from krmfn.audit.cli import ASSUMED_PLAN
from krmfn.sdk import manifests, yaml12
from tests.audit.audit_support import MYSQL_IPV4_ONLY
from tests.charts import ROOT

VENV_BIN = Path(sys.executable).parent
WHEELS = ROOT / ".cache" / "hook-wheels"
HOOKS = yaml12.load((ROOT / ".pre-commit-hooks.yaml").read_text())
CLEAN = """\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ipFamilyPolicy: SingleStack
  ipFamilies: [IPv6]
  ports:
  - port: 80
"""
# What else a repository holds: YAML that is no manifest, which the hook must pass over.
VALUES = "replicaCount: 2\nimage:\n  tag: '1.0'\n"


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid", "GIT_CONFIG_NOSYSTEM": "1",
           "HOME": str(cwd)}
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> tuple[str, str]:
    """This working tree, uncommitted changes included, as one commit in a repository of its own."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    repo = tmp_path_factory.mktemp("hook-repo")
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repo / name)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "krmfn as it stands")
    return repo.as_uri(), git(repo, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    if not any(WHEELS.glob("*.whl")):
        pytest.fail(f"{WHEELS} holds no wheels: run `make venv`")
    cache = tmp_path_factory.mktemp("pre-commit-home")  # one install of the hook, shared by the tests
    return {**os.environ, "PRE_COMMIT_HOME": str(cache), "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(WHEELS),
            # No build isolation: it would want setuptools from the index; the virtualenv has it already.
            "PIP_NO_BUILD_ISOLATION": "0", "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"}


def scratch(tmp_path: Path, hook_repo: tuple[str, str], manifest: str) -> Path:
    """A user's repository: a manifest, a values file and the README's pre-commit config, all staged."""
    url, rev = hook_repo
    work = tmp_path / "work"
    (work / "deploy").mkdir(parents=True)
    (work / "deploy" / "app.yaml").write_text(manifest)
    (work / "values.yaml").write_text(VALUES)
    (work / ".pre-commit-config.yaml").write_text(yaml12.dump(
        {"repos": [{"repo": url, "rev": rev, "hooks": [{"id": HOOKS[0]["id"]}]}]}))
    git(work, "init", "-q")
    git(work, "add", "-A")
    return work


def pre_commit(work: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "pre-commit"), "run", "--all-files", "--color", "never"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)


def test_the_hook_is_krmfn_check():
    [hook] = HOOKS
    assert hook["id"] == "krmfn-check" and hook["language"] == "python"
    assert hook["entry"].split()[:2] == ["krmfn", "check"]


def test_a_hazardous_manifest_fails_the_hook_naming_the_finding(tmp_path, hook_repo, env):
    work = scratch(tmp_path, hook_repo, MYSQL_IPV4_ONLY)
    proc = pre_commit(work, env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    objs, _ = manifests.read((str(work / "deploy" / "app.yaml"),), None)
    hits = audit.audit(objs, plan_mod.from_dict(ASSUMED_PLAN)).hits
    assert [h.severity for h in hits] == ["error"]
    assert hits[0].rule.ID in proc.stdout and hits[0].finding.found in proc.stdout
    assert HOOKS[0]["name"] in proc.stdout and "Failed" in proc.stdout


def test_a_clean_manifest_passes_and_other_yaml_is_passed_over(tmp_path, hook_repo, env):
    work = scratch(tmp_path, hook_repo, CLEAN)
    proc = pre_commit(work, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Passed" in proc.stdout
