"""RabbitMQ nodes run from the rabbitmq chart's StatefulSet: env, rabbitmq.conf and the erl_inetrc
mount as rendered, with only what a pod has and a namespace lacks translated:

- image paths -> directories of the run (pods.translate); /usr/lib/rabbitmq/bin, not the
  /usr/sbin wrappers that switch user;
- the bitnami image's own variables -> what the server reads (RABBITMQ_NODE_NAME ->
  RABBITMQ_NODENAME, RABBITMQ_ERL_COOKIE(_FILE) -> $HOME/.erlang.cookie, RABBITMQ_PLUGINS ->
  enabled_plugins, RABBITMQ_USERNAME/PASSWORD(_FILE) -> default_user/default_pass);
- Kubernetes peer discovery (the k8s backend asks the API server for the headless Service's
  pods) -> classic_config listing the same node names, so nodes still find and join each other
  by the names the chart gives them.
"""
from __future__ import annotations

import base64
import http.client
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.runtime import netns, pods

BIN = "/usr/lib/rabbitmq/bin"
AMQP_HEADER = b"AMQP\x00\x00\x09\x01"
# RabbitMQ logs a failed boot with its reason about 10 s before the VM exits; a node whose name
# does not resolve for epmd retries 10 x 5 s first.
BOOT_FAILED = re.compile(r"BOOT FAILED")
REASON = re.compile(r"ERROR: .*")


def version() -> str:
    app = next(Path("/usr/lib/rabbitmq/lib").glob("rabbitmq_server-*")).name
    return "RabbitMQ " + app.split("-", 1)[1].rsplit(".", 1)[0]


@dataclass
class Node:
    pod: pods.Pod
    net_node: netns.Node
    env: dict[str, str]
    log: Path

    @property
    def name(self) -> str:
        return self.env["RABBITMQ_NODENAME"]

    @property
    def label(self) -> str:
        return f"RabbitMQ {self.name}"

    def port(self, name: str) -> int:
        """The container port the chart names: amqp, dist, stats (management), epmd."""
        return next(p["containerPort"] for p in self.pod.container_spec()["ports"] if p["name"] == name)


def server_env(pod: pods.Pod, run: Path, peers: list[str]) -> dict[str, str]:
    mounts = pod.materialize(run / "mounts")
    env = {k: pods.translate(v, mounts) for k, v in pod.env().items()}
    # From 11.x the cookie and the password are files of the mounted Secret (*_FILE), no longer env.
    for name in ("RABBITMQ_ERL_COOKIE", "RABBITMQ_PASSWORD"):
        if name not in env:
            env[name] = pod.file(pod.env()[f"{name}_FILE"])
    home = run / "home"
    home.mkdir()
    cookie = home / ".erlang.cookie"
    cookie.write_text(env["RABBITMQ_ERL_COOKIE"])
    cookie.chmod(0o400)
    conf = pod.file("/bitnami/rabbitmq/conf/rabbitmq.conf")
    conf = re.sub(r"(?m)^cluster_formation\.(peer_discovery_backend|k8s\.).*\n", "", conf)
    conf += "\ncluster_formation.peer_discovery_backend = classic_config\n"
    conf += "".join(f"cluster_formation.classic_config.nodes.{i} = {p}\n" for i, p in enumerate(peers, 1))
    conf = re.sub(r"(?m)^default_user = .*$", f"default_user = {env['RABBITMQ_USERNAME']}", conf)
    conf, passes = re.subn(r"(?m)^default_pass = .*$", f"default_pass = {env['RABBITMQ_PASSWORD']}", conf)
    if not passes:  # the image adds it from RABBITMQ_PASSWORD(_FILE) when the chart's file has none
        conf += f"default_pass = {env['RABBITMQ_PASSWORD']}\n"
    (run / "rabbitmq.conf").write_text(conf)
    plugins = [p.strip() for p in env["RABBITMQ_PLUGINS"].split(",") if p.strip() != "rabbitmq_peer_discovery_k8s"]
    (run / "enabled_plugins").write_text(f"[{','.join(plugins)}].\n")
    env.update(
        PATH=f"{BIN}:/usr/bin:/bin", HOME=str(home), LANG="C.UTF-8",
        RABBITMQ_NODENAME=env["RABBITMQ_NODE_NAME"], RABBITMQ_CONF_ENV_FILE="/dev/null",
        RABBITMQ_CONFIG_FILE=str(run / "rabbitmq.conf"), RABBITMQ_ENABLED_PLUGINS_FILE=str(run / "enabled_plugins"),
        RABBITMQ_LOG_BASE=str(run), RABBITMQ_PID_FILE=str(run / "pid"),
    )
    return env


def nodes(items: list[dict], net: netns.Network, run: Path, count: int) -> list[Node]:
    sts = next(o for o in pods.of_kind(items, "StatefulSet") if any(
        c["name"] == "rabbitmq" for c in o["spec"]["template"]["spec"]["containers"]))
    ps = [pods.Pod(items, sts["metadata"]["name"], "rabbitmq", i, net.nodes[i].ipv6) for i in range(count)]
    names = [p.env()["RABBITMQ_NODE_NAME"] for p in ps]
    net.hosts(pods.dns(items, sts["metadata"]["name"], net.nodes[:count]))
    out = []
    for i, pod in enumerate(ps):
        (run / pod.name).mkdir(parents=True)
        out.append(Node(pod, net.nodes[i], server_env(pod, run / pod.name, names), run / pod.name / "server.log"))
    return out


def amqp(net: netns.Network, client: netns.Node, host: str, port: int, label: str) -> bool:
    """The server answers the AMQP 0-9-1 header with connection.start naming RabbitMQ."""
    with net.connect(client, host, port) as sock:
        sock.sendall(AMQP_HEADER)
        data = sock.recv(4096)
    if b"RabbitMQ" not in data:
        raise AssertionError(f"{label}: {netns.address(host, port)} answered no AMQP connection.start: {data[:64]!r}")
    return True


def start(net: netns.Network, node: Node) -> subprocess.Popen:
    return net.start(node.net_node, [f"{BIN}/rabbitmq-server"], node.env, node.log, cwd=node.log.parent)


def await_boot(net: netns.Network, node: Node, proc: subprocess.Popen, client: netns.Node, timeout: float = 120) -> None:
    """Wait until AMQP answers on the node's IPv6 address from another pod; a boot failure in the
    log fails at once, quoting the reason."""
    at = netns.address(node.net_node.ipv6, node.port("amqp"))

    def ready() -> bool:
        log = node.log.read_text(errors="replace")
        if BOOT_FAILED.search(log) and (reason := REASON.search(log)):
            raise AssertionError(f"{node.label}: could not reach {at}: the node did not boot: "
                                 f"{reason.group(0).strip()[:300]}")
        return amqp(net, client, node.net_node.ipv6, node.port("amqp"), node.label)

    net.await_ready(proc, node.net_node, node.label, at, node.log, ready, timeout)


def boot(net: netns.Network, node: Node, client: netns.Node) -> None:
    await_boot(net, node, start(net, node), client)


def api(net: netns.Network, client: netns.Node, node: Node, host: str, path: str) -> object:
    """GET path from the management API at host, from client's namespace, as the chart's user."""
    port = node.port("stats")
    try:
        sock = net.connect(client, host, port, timeout=10)
    except OSError as e:
        raise netns.Unreachable(f"{node.label} management API: could not reach {netns.address(host, port)} "
                                f"from {client.ns}: {e}") from None
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.sock = sock
    auth = base64.b64encode(f"{node.env['RABBITMQ_USERNAME']}:{node.env['RABBITMQ_PASSWORD']}".encode()).decode()
    conn.request("GET", path, headers={"Authorization": f"Basic {auth}"})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    assert resp.status == 200, (f"{node.label} management API {netns.address(host, port)}{path}: "
                                f"HTTP {resp.status} {body[:200]!r}")
    return json.loads(body)


def probes(net: netns.Network, node: Node) -> str:
    """Run the chart's readiness and liveness probes in the node's pod (rabbitmq-diagnostics; from
    11.15.7 curl to the management API on 127.0.0.1); returns what they run, for the table."""
    said = set()
    for kind in ("readinessProbe", "livenessProbe"):
        cmd = node.pod.probe(kind)
        proc = net.run(node.net_node, cmd, node.env, timeout=60)
        assert proc.returncode == 0, (f"{node.label}: {kind} {cmd[-1]!r} exited {proc.returncode} "
                                      f"(could not reach the node): {(proc.stdout + proc.stderr).strip()[-500:]}")
        url = re.search(r"\b(\d+\.\d+\.\d+\.\d+:\d+|\[[0-9a-f:]+\]:\d+)", cmd[-1])
        said.add(f"`{cmd[-1].split()[0]}`" + (f" to {url.group(1)}" if url else ""))
    return ", ".join(sorted(said))


def dist_peers(net: netns.Network, node: Node) -> set[str]:
    """Addresses of the node's Erlang distribution connections: the family it clusters over."""
    return net.peers(node.net_node, node.port("dist"))


def running_nodes(net: netns.Network, client: netns.Node, node: Node, host: str) -> set[str]:
    return {n["name"] for n in api(net, client, node, host, "/api/nodes") if n.get("running")}
