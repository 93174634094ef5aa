"""MariaDB Galera: three nodes from the mariadb-galera chart's render (replicaCount 3 is the chart's
default) on an IPv6-only network, with Debian's MariaDB 10.11 and Galera 26.4 standing in for the
Bitnami image.

What each pod runs is the chart's my.cnf (the mariadbConfiguration ConfigMap, image paths moved as
test_mariadb.py does) with the [galera] lines the image writes into its copy at start-up
(bitnami/containers mariadb-galera libmariadbgalera.sh, read, not run):

- wsrep_node_name: the pod name; wsrep_node_address: MARIADB_GALERA_NODE_ADDRESS when the container
  has it, else what `hostname -i` gives, the IPv6 address preferred and unbracketed (get_node_address);
- wsrep_cluster_address: `gcomm://` on the node that bootstraps (pod 0, started alone), the chart's
  MARIADB_GALERA_CLUSTER_ADDRESS (the pods' names under the headless Service) on the others;
- wsrep_sst_auth: MARIADB_GALERA_MARIABACKUP_USER and the password from the mounted Secret; the
  bootstrapping node creates root@'%' and that user, as the image does on first boot.

Pods 1 and 2 start with an empty data directory and join by SST with mariabackup, the chart's
wsrep_sst_method, so group communication (4567), SST (4444) and the IST receiver (4568) are all
exercised. BEFORE (the chart's render): Galera listens on 0.0.0.0:4567 only, the joiners' connections
to pod 0's IPv6 address are refused and they abort. AFTER (krmfn's output): the cluster forms with 3
members whose addresses are IPv6, a write made over IPv6 on one node is read on another. Without
krmfn's bracketed node address the joiner's IST receiver is `tcp://fd00:10::2:4568` and it aborts
(test_unbracketed_node_address_fails), which is why the adapter sets it. On dual-stack pods with IPv4
primary (the headless Service answering both families, as the injector makes it, the node address the
pod's IPv4) the cluster forms, SST and IST to the IPv4 addresses; without krmfn's node address the
image's IPv6 pick breaks the joiner the same way.

The three archives render the same my.cnf and the same container environment (asserted), so the
run uses the newest one's and its result holds for all three.
"""
from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests import charts
from tests.runtime import netns, pods
from tests.runtime.conftest import IN_CI
from tests.runtime.table import Row

ARCHIVES = charts.chart_archives("mariadb-galera")
NEWEST = ARCHIVES[-1]
PLAN = charts.plan("ipv6")
CONTAINER = "mariadb-galera"
MOUNTED_CNF = "/bitnami/conf/my.cnf"
PROVIDER = "/usr/lib/galera/libgalera_smm.so"
PATH = {"PATH": "/usr/sbin:/usr/bin:/bin"}
# my.cnf options that name paths inside the image, and where they point outside it.
PATH_OPTIONS = {"basedir": "/usr", "plugin_dir": "/usr/lib/mysql/plugin", "datadir": "{run}/data",
                "tmpdir": "{run}/tmp", "socket": "{run}/mysql.sock", "pid_file": "{run}/mysqld.pid",
                "log_error": "{run}/mysqld.log", "slow_query_log_file": "{run}/mysqld-slow.log",
                "wsrep_provider": PROVIDER}
GALERA, IST, SST, MYSQL = 4567, 4568, 4444, 3306


@pytest.fixture(scope="module", autouse=True)
def galera_installed(runtime_ready) -> None:
    """Galera and mariabackup (the SST method) besides the suite's servers (`make runtime-deps`)."""
    missing = [n for n in (PROVIDER, "mariabackup", "socat")
               if not (Path(n).exists() if n.startswith("/") else shutil.which(n))]
    if missing:
        if IN_CI:
            pytest.fail(f"missing {', '.join(missing)} (CI=true: the Makefile must provide it)")
        pytest.skip(f"missing {', '.join(missing)}: run `make runtime-deps`")


def server_version() -> str:
    out = subprocess.run(["mariadbd", "--version"], capture_output=True, text=True, timeout=10).stdout
    galera = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "galera-4"],
                            capture_output=True, text=True, timeout=10).stdout
    mariadb = re.search(r"Ver (\d+\.\d+)", out).group(1)
    return f"MariaDB {mariadb} + Galera {'.'.join(galera.split('.')[:2])}"


def statefulset(items: list[dict]) -> dict:
    return next(o for o in pods.of_kind(items, "StatefulSet")
                if any(c["name"] == CONTAINER for c in o["spec"]["template"]["spec"]["containers"]))


def what_pods_read(archive: str, stage: str) -> tuple:
    """The my.cnf and the container environment of each pod, as the pods get them."""
    items = stage_items(archive, stage)
    sts = statefulset(items)
    ps = [pods.Pod(items, sts["metadata"]["name"], CONTAINER, i, "fd00:10::1") for i in range(sts["spec"]["replicas"])]
    return tuple((p.file(MOUNTED_CNF), tuple(sorted(p.env().items()))) for p in ps)


def stage_items(archive: str, stage: str) -> list[dict]:
    # BEFORE is the chart's render itself: krmfn refuses to pass a render that still binds 0.0.0.0 unchanged.
    case = pods.case(archive, "default")
    return charts.render(archive, case.values) if stage == "before" else pods.objects(archive, "default", stage, PLAN)


def set_line(text: str, key: str, value: str, section: str = "galera") -> str:
    """key=value in place of every line of key, else added under [section]: what the image's
    `ini-file set` does to its copy of my.cnf."""
    lines, found = text.split("\n"), False
    for i, line in enumerate(lines):
        if re.match(rf"\s*{re.escape(key)}\s*=", line):
            lines[i], found = f"{key}={value}", True
    if not found:
        lines.insert(lines.index(f"[{section}]") + 1, f"{key}={value}")
    return "\n".join(lines)


def image_cnf(pod: pods.Pod, node: netns.Node, run: Path, bootstrap: bool) -> str:
    """The chart's my.cnf with its image paths moved to run and the [galera] lines the image writes."""
    env = pod.env()
    text = re.sub(rf"(?m)^({'|'.join(PATH_OPTIONS)})=.*$",
                  lambda m: f"{m.group(1)}={PATH_OPTIONS[m.group(1)].format(run=run)}", pod.file(MOUNTED_CNF))
    assert "bitnami" not in text, f"an image path is left in my.cnf:\n{text}"
    # `hostname -i` in the pod lists its addresses; the image keeps the first IPv6 one, as it is.
    address = env.get("MARIADB_GALERA_NODE_ADDRESS") or next(a for a in node.addresses() if ":" in a)
    user = env["MARIADB_GALERA_MARIABACKUP_USER"]
    for key, value in (("wsrep_node_name", pod.name), ("wsrep_node_address", address),
                       ("wsrep_cluster_address", "gcomm://" if bootstrap else env["MARIADB_GALERA_CLUSTER_ADDRESS"]),
                       ("wsrep_sst_auth", f"{user}:{secret(pod, 'MARIADB_GALERA_MARIABACKUP_PASSWORD')}")):
        text = set_line(text, key, value)
    return text


def secret(pod: pods.Pod, name: str) -> str:
    env = pod.env()
    return env[name] if name in env else pod.file(env[f"{name}_FILE"])


def status(net: netns.Network, node: netns.Node, run: Path) -> dict[str, str]:
    """wsrep status over the pod's own socket, as the chart's probes ask it."""
    proc = net.run(node, ["mariadb", "--no-defaults", f"--socket={run / 'mysql.sock'}", "-uroot", "-N", "-e",
                          "SHOW GLOBAL STATUS LIKE 'wsrep%'"], {"PATH": "/usr/bin:/bin"}, 10)
    if proc.returncode:
        raise netns.Unreachable(f"MariaDB in {node.ns}: no answer on its socket: {proc.stderr.strip()}")
    return dict(line.split("\t", 1) for line in proc.stdout.splitlines() if "\t" in line)


def log_of(run: Path) -> str:
    return (run / "mysqld.log").read_text(errors="replace") if (run / "mysqld.log").exists() else ""


class Cluster:
    """Pods 0..2 of the render's StatefulSet, each in its node, started the way the image starts them."""

    def __init__(self, net: netns.Network, items: list[dict], root: Path, system_tables: Path, family: str = "IPv6"):
        self.net, self.items, self.root, self.system_tables = net, items, root, system_tables
        # status.podIP: the address of the cluster's primary family.
        self.ip = {n.ns: next(a for a in n.addresses() if netns.family(a) == family) for n in net.nodes}
        sts = statefulset(items)
        self.name, size = sts["metadata"]["name"], sts["spec"]["replicas"]
        assert size == len(net.nodes), f"{self.name}: {size} replicas for a {len(net.nodes)}-node network"
        net.hosts(pods.dns(items, self.name, net.nodes))
        self.pods = [pods.Pod(items, self.name, CONTAINER, i, self.ip[n.ns]) for i, n in enumerate(net.nodes)]
        self.runs = [root / p.name for p in self.pods]
        self.procs: list[subprocess.Popen] = []

    def start(self, i: int) -> subprocess.Popen:
        pod, node, run = self.pods[i], self.net.nodes[i], self.runs[i]
        (run / "tmp").mkdir(parents=True)
        (run / "my.cnf").write_text(image_cnf(pod, node, run, bootstrap=i == 0))
        cmd = ["mariadbd", f"--defaults-file={run / 'my.cnf'}", "--user=root"]
        if i == 0:
            subprocess.run(["cp", "-a", self.system_tables, run / "data"], check=True, timeout=60)
            user = pod.env()["MARIADB_GALERA_MARIABACKUP_USER"]
            (run / "init.sql").write_text(
                f"CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '{secret(pod, 'MARIADB_ROOT_PASSWORD')}';\n"
                "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;\n"
                f"CREATE USER IF NOT EXISTS '{user}'@'localhost' IDENTIFIED BY "
                f"'{secret(pod, 'MARIADB_GALERA_MARIABACKUP_PASSWORD')}';\n"
                f"GRANT RELOAD, PROCESS, LOCK TABLES, REPLICATION CLIENT ON *.* TO '{user}'@'localhost';\n")
            cmd.append(f"--init-file={run / 'init.sql'}")
        else:
            (run / "data").mkdir()  # a joiner starts empty and gets its state by SST, as the image's does
        proc = self.net.start(node, cmd, PATH, run / "mysqld.out")
        self.procs.append(proc)
        return proc

    def boot(self, i: int, timeout: float) -> None:
        """Pod i started and Synced with its cluster; one that exits fails naming its Galera address."""
        proc, node, run = self.start(i), self.net.nodes[i], self.runs[i]
        self.net.await_ready(proc, node, f"Galera node {self.pods[i].name}", netns.address(node.ipv6, GALERA),
                             run / "mysqld.log",
                             lambda: status(self.net, node, run).get("wsrep_local_state_comment") == "Synced", timeout)

    def session(self, client: netns.Node, server: netns.Node, sql: str) -> str:
        """A root session from client to server's address of the primary family with the mariadb client."""
        pw, host = secret(self.pods[0], "MARIADB_ROOT_PASSWORD"), self.ip[server.ns]
        proc = self.net.run(client, ["mariadb", "--no-defaults", "-h", host, "-P", str(MYSQL), "-uroot",
                                     f"-p{pw}", "-N", "-e", sql], {"PATH": "/usr/bin:/bin"}, 20)
        assert proc.returncode == 0, f"MariaDB: no session at {netns.address(host, MYSQL)}: {proc.stderr.strip()}"
        return proc.stdout.strip()


@pytest.fixture(scope="module")
def system_tables(tmp_path_factory) -> Path:
    """One initialised data directory for the bootstrapping node (mariadb-install-db costs ~3 s)."""
    datadir = tmp_path_factory.mktemp("galera") / "data"
    subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={datadir}", "--user=root",
                    "--auth-root-authentication-method=normal", "--skip-test-db"],
                   check=True, capture_output=True, timeout=60)
    return datadir


def test_the_archives_give_the_pods_the_same_inputs():
    """Why one run proves all three: my.cnf and the environment of every pod are the same, BEFORE and AFTER."""
    assert len(ARCHIVES) == 3
    for stage in pods.STAGES:
        newest = what_pods_read(NEWEST, stage)
        for archive in ARCHIVES[:-1]:
            assert what_pods_read(archive, stage) == newest, f"{archive} {stage} differs from {NEWEST}"


def rows(proven, stage: str, shown: str, seconds: float) -> None:
    for archive in ARCHIVES:
        proven.add(Row(server_version(), f"{charts.chart_of(archive)} {charts.version_of(archive)} (3 nodes)", "IPv6",
                       {"before": "chart", "after": "krmfn"}[stage], shown), seconds)


def test_galera_before(net, tmp_path, proven, system_tables):
    """The chart's render: pod 0 bootstraps, but Galera listens on IPv4 only and the joiners abort."""
    start = time.monotonic()
    c = Cluster(net, stage_items(NEWEST, "before"), tmp_path, system_tables)
    c.boot(0, 60)
    node0, node1 = net.nodes[:2]
    assert net.listening(node0, GALERA) == {"0.0.0.0"}, net.listening(node0, GALERA)
    net.refuses(node1, node0.ipv6, GALERA, "Galera node 0")
    net.refuses(node1, node0.ipv6, MYSQL, "MariaDB node 0")
    joiner = c.start(1)
    # Galera gives up on a primary component after pc.wait_prim_timeout (30 s) and mysqld exits.
    netns.wait_for("Galera node 1 to give up joining", lambda: joiner.poll() is not None, 90, 0.5)
    log = log_of(c.runs[1])
    assert "failed to reach primary view" in log, netns.tail(c.runs[1] / "mysqld.log")
    assert status(net, node0, c.runs[0])["wsrep_cluster_size"] == "1"
    rows(proven, "before", "`gmcast` listens on `0.0.0.0:4567` only: the joiners' connections to node 0's IPv6 "
         "address are refused and they abort (\"failed to reach primary view\"); 3306 refused over IPv6",
         time.monotonic() - start)


PLAN_LABEL = {"ipv6": "IPv6", "dual-ipv4": "dual-stack, IPv4 primary", "dual-ipv6": "dual-stack, IPv6 primary"}


def form_cluster(net, tmp_path, system_tables, mode: str) -> str:
    """krmfn's output for mode: 3 nodes form the cluster in the primary family, the joiners by SST; a
    write on one node is read on another. Returns what was shown."""
    family = charts.PLANS[mode][0]
    c = Cluster(net, pods.objects(NEWEST, "default", "after", charts.plan(mode)), tmp_path, system_tables, family)
    for i in range(3):
        c.boot(i, 60 if i == 0 else 120)
    ips = [c.ip[n.ns] for n in net.nodes]
    # The node addresses krmfn gives (MARIADB_GALERA_NODE_ADDRESS): an IPv6 one in brackets.
    members = {f"[{a}]" if ":" in a else a for a in ips}
    gcomm: set[str] = set()  # the families group communication used (the per-pod names' answers)
    for node, run, ip in zip(net.nodes, c.runs, ips):
        st = status(net, node, run)
        assert (st["wsrep_cluster_size"], st["wsrep_ready"]) == ("3", "ON"), st
        incoming = {a.rsplit(":", 1)[0] for a in st["wsrep_incoming_addresses"].split(",")}
        assert incoming == members, f"Galera in {node.ns}: members at {st['wsrep_incoming_addresses']}"
        assert net.listening(node, GALERA) == {"*"}, net.listening(node, GALERA)
        # bind_address=*: MariaDB opens one socket per family.
        assert net.listening(node, MYSQL) == {"0.0.0.0", "[::]"}, net.listening(node, MYSQL)
        peers = {a.removeprefix("::ffff:") for a in net.peers(node, GALERA)}
        others = {a for n in net.nodes if n is not node for a in n.addresses()}
        assert peers and peers <= others, f"Galera peers of {node.ns}: {peers}"
        gcomm |= {netns.family(a) for a in peers}
    assert mode != "ipv6" or gcomm == {"IPv6"}, gcomm
    for i in (1, 2):
        log, member = log_of(c.runs[i]), netns.address(ips[i], IST)
        assert f"IST receiver addr using tcp://{member}" in log, netns.tail(c.runs[i] / "mysqld.log")
        assert "mariabackup SST completed on joiner" in log, netns.tail(c.runs[i] / "mysqld.log")
        assert f"--address '{netns.address(ips[i], SST)}/" in log_of(c.runs[0]), f"node 0 donated no SST to {ips[i]}"
    net.accepts(net.nodes[0], "127.0.0.1", MYSQL, "MariaDB node 0")  # bind_address=* keeps IPv4 loopback
    c.session(net.nodes[0], net.nodes[2], "CREATE DATABASE krmfn; CREATE TABLE krmfn.proof (id INT PRIMARY KEY, "
              "v VARCHAR(20)); INSERT INTO krmfn.proof VALUES (1, 'replicated')")
    got = netns.wait_for("the row written on node 2 on node 0",
                         lambda: c.session(net.nodes[1], net.nodes[0], "SELECT v FROM krmfn.proof WHERE id=1"), 20, 0.5)
    assert got == "replicated", got
    return (f"3 nodes form the cluster (`wsrep_cluster_size` 3, members `{', '.join(sorted(members))}`, "
            f"group communication over {' and '.join(sorted(gcomm))}); "
            f"the joiners get their state by mariabackup SST on `{netns.address('ip', SST)}` and IST on "
            f"`tcp://{netns.address('ip', IST)}`; `gmcast` on `*`, 3306 on `0.0.0.0` and `[::]`; a row written over "
            f"{family} on one node is read over {family} on another")


def test_galera_after(net, tmp_path, proven, system_tables):
    start = time.monotonic()
    shown = form_cluster(net, tmp_path, system_tables, "ipv6")
    rows(proven, "after", shown.replace("`ip:", "`[ip]:").replace("//ip:", "//[ip]:"), time.monotonic() - start)


# dual-ipv4 is the case where the node address differs (IPv4, unbracketed); dual-ipv6 takes the IPv6-only
# case's node address on pods that also have IPv4 (the catalog claims both).
@pytest.mark.parametrize("mode", ["dual-ipv4", "dual-ipv6"])
def test_galera_dual_stack_after(net, tmp_path, proven, system_tables, mode):
    """Dual-stack pods behind krmfn's dual-stack headless Service, the node address of the primary family: the
    cluster forms, SST and IST to the primary family's addresses."""
    start = time.monotonic()
    headless = [o for o in pods.objects(NEWEST, "default", "after", charts.plan(mode))
                if o["kind"] == "Service" and o["spec"].get("clusterIP") == "None"]
    assert [s["spec"]["ipFamilies"] for s in headless] == [charts.PLANS[mode]]  # DNS answers both families
    with net.dual_stack():
        shown = form_cluster(net, tmp_path, system_tables, mode)
        net.stop()
    if mode == "dual-ipv6":
        shown = shown.replace("`ip:", "`[ip]:").replace("//ip:", "//[ip]:")
    proven.add(Row(server_version(), f"{charts.chart_of(NEWEST)} {charts.version_of(NEWEST)} (3 nodes)",
                   PLAN_LABEL[mode], "krmfn", shown), time.monotonic() - start)


@pytest.mark.parametrize("mode", ["ipv6", "dual-ipv4"])
def test_unbracketed_node_address_fails(net, tmp_path, system_tables, mode):
    """krmfn's output without its MARIADB_GALERA_NODE_ADDRESS: the image's `hostname -i` address, IPv6 and
    unbracketed (on dual-stack pods too: the image prefers IPv6), makes the joiner's IST receiver unusable and it
    aborts, so the AFTER runs cannot pass without it."""
    items = pods.objects(NEWEST, "default", "after", charts.plan(mode))
    container = next(c for c in statefulset(items)["spec"]["template"]["spec"]["containers"] if c["name"] == CONTAINER)
    container["env"] = [e for e in container["env"] if e["name"] != "MARIADB_GALERA_NODE_ADDRESS"]
    with net.dual_stack() if mode != "ipv6" else contextlib.nullcontext():
        c = Cluster(net, items, tmp_path, system_tables, charts.PLANS[mode][0])
        c.boot(0, 60)
        joiner = c.start(1)
        netns.wait_for("Galera node 1 to abort", lambda: joiner.poll() is not None, 90, 0.5)
        net.stop()
    log = log_of(c.runs[1])
    assert f"IST receiver addr using tcp://{net.nodes[1].ipv6}:{IST}" in log, netns.tail(c.runs[1] / "mysqld.log")
    assert "State Transfer Request preparation failed" in log, netns.tail(c.runs[1] / "mysqld.log")
