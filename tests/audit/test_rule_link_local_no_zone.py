import pytest

from audit_support import configmap, container, hits, workload

RULE = "link-local-no-zone"


@pytest.mark.parametrize("text", [
    "bind fe80::1\n",
    ".:53 {\n    bind 169.254.20.10 fe80::20:10\n}\n",
    "listen = [fe80::1]:8080\n",
    "LISTEN=FE80::abcd:1\n",
])
def test_hit(text):
    [hit] = hits([configmap(Corefile=text)], RULE)
    assert hit.finding.path == "data.Corefile"
    assert hit.severity == "error"


def test_args():
    [hit] = hits([workload(container(args=["-localip", "169.254.20.10,fe80::20:10"]))], RULE)
    assert hit.finding.path == "spec.template.spec.containers[0].args[1]"


@pytest.mark.parametrize("text", [
    "bind fe80::1%eth0\n",
    "bind fd00::20:10\n",
    "# bind fe80::1\n",
    "coffee80::1 is not an address\n",
    "fe80 is a hex word\n",
    "feed:face::1\n",
])
def test_not_a_hit(text):
    assert hits([configmap(Corefile=text)], RULE) == []
