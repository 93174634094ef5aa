import pytest

from audit_support import DUAL_IPV4, IPV4, configmap, container, hits, workload
from krmfn.audit.context import UNSET
from krmfn.sdk import objects
from tests import charts

RULE = "unbracketed-host-variable"
# The kafka chart's external access line (scripts-configmap.yaml:182 in 30.x/31.x, _init_containers.tpl:188 in 32.x).
KAFKA = 'sed -i -E "s|^(advertised\\.listeners=\\S+)$|\\1,EXTERNAL://${host}:${port}|" "$KAFKA_CONFIG_FILE"'


def script(*lines: str) -> str:
    return "#!/bin/bash\nset -e\n" + "\n".join(lines) + "\n"


def test_the_kafka_line_in_a_mounted_script():
    [hit] = hits([configmap(**{"kafka-init.sh": script('host="$EXTERNAL_ACCESS_HOST"', KAFKA)})], RULE)
    assert hit.severity == "warning"
    assert hit.finding.path == "data.kafka-init.sh"
    assert hit.finding.found.startswith("line 4: sed -i -E")
    # No mechanical fix: brackets around a DNS name would break it.
    assert hit.finding.proposed is UNSET
    assert "`${host}`" in hit.message and "EXTERNAL://[${host}]:${port}" in hit.finding.fix
    assert '[[ $host == *:* ]] && host="[$host]"' in hit.finding.fix


@pytest.mark.parametrize("line, variable", [
    ("echo PLAINTEXT://$host:$port", "host"),
    ("url=http://${POD_IP}:8080/health", "POD_IP"),
    ("peers=${LISTENER_NAME}://${hosts[$POD_ID]}:9094", "hosts"),
    ('curl -s "http://${HOST:-localhost}:9200"', "HOST"),
    ("redis-cli -u redis://user:pw@$MY_IP:6379 ping", "MY_IP"),
    ("echo INTERNAL_CLIENT://${ADDR}:${PORT}", "ADDR"),
])
def test_shapes_in_a_script(line, variable):
    [hit] = hits([configmap(**{"start.sh": script(line)})], RULE)
    assert f"`${{{variable}}}`" in hit.message


def test_command_and_args_of_a_container():
    args = ["-ec", script('host="$(curl -s https://ipinfo.io/ip)"', KAFKA)]
    [hit] = hits([workload(container(command=["/bin/bash"], args=args), init=[])], RULE)
    assert hit.finding.path == "spec.template.spec.containers[0].args[1]"
    [hit] = hits([workload(container(command=["sh", "-c", "exec app --listen http://$POD_IP:80"]))], RULE)
    assert hit.finding.path == "spec.template.spec.containers[0].command[2]"


def test_one_finding_per_script_naming_every_variable():
    [hit] = hits([configmap(**{"start.sh": script("a=http://$IP1:80", "b=http://${IP2}:81", "c=http://$IP1:82")})], RULE)
    assert "`${IP1}`, `${IP2}`" in hit.message and hit.finding.found.endswith("(+2 more)")


@pytest.mark.parametrize("line", [
    "echo EXTERNAL://[${host}]:${port}",  # bracketed already
    "echo http://[$POD_IP]:8080",
    "echo http://${POD_NAME}.${HEADLESS}.svc:9092",  # a DNS name built from variables
    "echo http://$HOSTNAME:8080",  # names that hold DNS names
    "echo http://${SERVICE_NAME}:80 http://${MY_FQDN}:80 http://$CLUSTER_DOMAIN:80 http://$svc:80",
    "echo http://$host/path",  # no port after the host
    "echo http://localhost:$port",  # a literal host
    "echo CLIENT://:9092",
    "# echo EXTERNAL://${host}:${port}",  # a comment
    "host=$host:$port",  # no scheme: not a URL
])
def test_not_a_hit_in_a_script(line):
    assert hits([configmap(**{"start.sh": script(line)})], RULE) == []


def test_config_files_that_are_not_scripts_are_not_read():
    # A template a program fills in itself (nginx's `$host` is the request's Host header) is not shell.
    assert hits([configmap(**{"nginx.conf": "proxy_pass http://$host:8080;\n"})], RULE) == []
    # A file without a .sh name is a script when its first line says so.
    assert len(hits([configmap(**{"init": script(KAFKA)})], RULE)) == 1


def test_only_on_plans_with_ipv6():
    objs = [configmap(**{"kafka-init.sh": script(KAFKA)})]
    assert hits(objs, RULE, IPV4) == []
    assert len(hits(objs, RULE, DUAL_IPV4)) == 1


def _shape_lines(obj: dict) -> bool:
    """Whether the object holds the shape the rule is about, by a plainer reading than the rule's."""
    import re

    texts = [v for v in (obj.get("data") or {}).values() if isinstance(v, str)] if obj["kind"] == "ConfigMap" else []
    pod = (obj.get("spec") or {}).get("template", {}).get("spec") or {}
    for c in (pod.get("initContainers") or []) + (pod.get("containers") or []):
        texts += [a for a in (c.get("command") or []) + (c.get("args") or []) if isinstance(a, str)]
    return any(re.search(r"://\$\{?\w+\}?:\$?\{?\w", line) and not line.lstrip().startswith("#")
               for t in texts for line in t.splitlines())


@pytest.mark.parametrize("case", charts.cases(), ids=[c.id for c in charts.cases()])
def test_every_render_flags_exactly_its_instances_of_the_shape(case):
    """Precision over every archive and render in ../shared: a flag is a variable host with a port, nothing else,
    and every such host is flagged (today: the kafka advertised EXTERNAL listener, docs/audit.md)."""
    objs = charts.render(case.archive, case.values)
    flagged = {objects.display_name(h.obj) for h in hits(objs, RULE)}
    expected = {objects.display_name(o) for o in objs if _shape_lines(o)}
    assert flagged == expected
    for h in hits(objs, RULE):
        assert "://${host}:${port}" in h.finding.found and "advertised" in h.finding.found
