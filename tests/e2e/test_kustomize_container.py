"""kustomize runs krmfn's container image as a transformer (examples/kustomize-container)."""
from __future__ import annotations

import pytest
import yaml

from .conftest import EXAMPLES, IMAGE, assert_ipv6_services, run, yaml_docs

EXAMPLE = EXAMPLES / "kustomize-container"

pytestmark = pytest.mark.container


def test_kustomize_build_matches_expected(kubectl, container_env):
    out = run([kubectl, "kustomize", "--enable-alpha-plugins", str(EXAMPLE)], container_env).stdout
    docs = yaml_docs(out)

    assert docs == yaml_docs((EXAMPLE / "expected" / "output.yaml").read_text())
    # The inputs carry no IP families, so finding them proves the container ran rather
    # than kustomize skipping the function.
    assert_ipv6_services(docs)
    assert [d["metadata"]["name"] for d in docs if d["kind"] == "ConfigMap"] == ["web-config"]


def test_image_runs_read_only_as_an_arbitrary_uid(container_env):
    """Stricter than kustomize and kpt (uid nobody, writable root): any uid, read-only, no network."""
    resource_list = {
        "apiVersion": "config.kubernetes.io/v1",
        "kind": "ResourceList",
        "items": yaml_docs((EXAMPLE / "services.yaml").read_text()),
        "functionConfig": yaml.safe_load((EXAMPLE / "fn.yaml").read_text()),
    }
    cmd = ["podman", "run", "--rm", "-i", "--read-only", "--user", "4242:4242", "--network", "none",
           "--security-opt=no-new-privileges", IMAGE]
    proc = run(cmd, container_env, input=yaml.safe_dump(resource_list))

    out = yaml.safe_load(proc.stdout)
    assert out["kind"] == "ResourceList"
    assert_ipv6_services(out["items"])
