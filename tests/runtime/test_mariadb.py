"""MariaDB (Debian's, standing in for the image's MySQL) with every my.cnf of the pinned mysql charts'
replication renders: the chart's bind-address=0.0.0.0 is refused on the pod's IPv6 address,
krmfn's bind-address=* is accepted there and still on 127.0.0.1 (where `::` is not: shown below). The
newest lines run through the same functions (test_newest_lines.py).

The mariadb chart (charts/next, MariaDB itself in its image) runs through the same functions: its
replication render's primary my.cnf says `*` already (accepted BEFORE), its secondary my.cnf says 0.0.0.0
(refused BEFORE, accepted AFTER)."""
from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import charts
from tests.runtime import netns, pods
from tests.runtime.table import Row

ARCHIVES = [a for a in charts.pinned_archives() if a.startswith("mysql-")]
PLAN = charts.plan("ipv6")
# my.cnf options that name paths inside the image, and where they point outside it.
PATH_OPTIONS = {"basedir": "{usr}", "plugin_dir": "{usr}/lib/mysql/plugin", "socket": "{run}/mysql.sock",
                "datadir": "{run}/data", "tmpdir": "{run}/tmp", "pid-file": "{run}/mysqld.pid",
                "log-error": "{run}/mysqld.log", "slow_query_log_file": "{run}/mysqld-slow.log"}
# MySQL-only server options of the newer my.cnf (9.x+) that MariaDB does not know and would refuse to
# start on: given the `loose-` prefix, with which MariaDB skips an unknown option. None is about addresses.
MYSQL_ONLY = ("authentication_policy", "mysqlx", "mysqlx_port")


def server_version() -> str:
    out = subprocess.run(["mariadbd", "--version"], capture_output=True, text=True, timeout=10).stdout
    return "MariaDB " + re.search(r"Ver (\d+\.\d+)", out).group(1)


@pytest.fixture(scope="module")
def system_tables(tmp_path_factory) -> Path:
    """One initialised data directory, copied for every server: mariadb-install-db costs ~3 s."""
    datadir = tmp_path_factory.mktemp("mariadb") / "data"
    subprocess.run(
        ["mariadb-install-db", "--no-defaults", f"--datadir={datadir}", "--user=root",
         "--auth-root-authentication-method=normal", "--skip-test-db"],
        check=True, capture_output=True, timeout=60,
    )
    return datadir


def translated(cnf: str, run: Path) -> str:
    """The chart's my.cnf with only its image paths moved to run (and Debian's /usr)."""
    def move(m: re.Match) -> str:
        return f"{m.group(1)}={PATH_OPTIONS[m.group(1)].format(usr='/usr', run=run)}"
    text = re.sub(rf"(?m)^({'|'.join(map(re.escape, PATH_OPTIONS))})=.*$", move, cnf)
    text = re.sub(rf"(?m)^({'|'.join(map(re.escape, MYSQL_ONLY))})=", r"loose-\1=", text)
    assert "bitnami" not in text, f"an image path is left in my.cnf:\n{text}"
    return text


def mycnf_pods(items: list[dict], ip: str) -> list[pods.Pod]:
    """Pod 0 of every StatefulSet that mounts a my.cnf (master/slave or primary/secondary), as the
    container that mounts it: `mysql` in the mysql chart, `mariadb` in the mariadb chart."""
    out = []
    for sts in pods.of_kind(items, "StatefulSet"):
        for container in sts["spec"]["template"]["spec"]["containers"]:
            pod = pods.Pod(items, sts["metadata"]["name"], container["name"], 0, ip)
            if any(path.endswith("/my.cnf") for path in pod.mounts()):
                out.append(pod)
    return out


def mycnf(pod: pods.Pod) -> str:
    return pod.file(next(p for p in pod.mounts() if p.endswith("/my.cnf")))


def mariadb(net: netns.Network, pod: pods.Pod, system_tables: Path, run: Path, label: str) -> tuple[int, str]:
    """mysqld from pod's my.cnf in node 0; returns its port and root password."""
    node = net.nodes[0]
    cnf = mycnf(pod)
    (run / "tmp").mkdir(parents=True)
    subprocess.run(["cp", "-a", system_tables, run / "data"], check=True, timeout=60)
    (run / "my.cnf").write_text(translated(cnf, run))
    # The image creates root@'%' with the Secret's root password (a replica gets it from its
    # source, as MYSQL_MASTER_ROOT_PASSWORD); the init file does the same.
    env = pod.env()
    # From 9.x the password is a file of the mounted Secret (*_FILE), no longer env; the mariadb chart
    # says MARIADB_ where the mysql chart says MYSQL_.
    names = [f"{p}_{n}" for p in ("MYSQL", "MARIADB") for n in ("ROOT_PASSWORD", "MASTER_ROOT_PASSWORD")]
    name = next(n for n in names if n in env or f"{n}_FILE" in env)
    password = env[name] if name in env else pod.file(env[f"{name}_FILE"])
    (run / "init.sql").write_text(
        f"CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '{password}';\n"
        "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;\n"
    )
    port = int(re.search(r"(?m)^port=(\d+)", cnf).group(1))
    cmd = ["mariadbd", f"--defaults-file={run / 'my.cnf'}", "--user=root", f"--init-file={run / 'init.sql'}"]
    net.boot(node, label, netns.address("127.0.0.1", port), cmd, {"PATH": "/usr/sbin:/usr/bin:/bin"},
             run / "mysqld.out", ready=lambda: "ready for connections" in (run / "mysqld.log").read_text(), timeout=60)
    return port, password


def query_over_ipv6(net: netns.Network, port: int, password: str, label: str) -> str:
    """Log in as root from another pod over IPv6 with the mariadb client: a whole session, not a bare connect."""
    server = net.nodes[0]
    proc = net.run(net.nodes[1], ["mariadb", "--no-defaults", "-h", server.ipv6, "-P", str(port), "-uroot",
                                  f"-p{password}", "-N", "-e", "SELECT @@bind_address"], {"PATH": "/usr/bin:/bin"}, 20)
    assert proc.returncode == 0, f"{label}: no session at {netns.address(server.ipv6, port)}: {proc.stderr.strip()}"
    return proc.stdout.strip()


def serve_and_check(net, pod, system_tables, run, label, ipv6: bool) -> str:
    """Boot MariaDB from pod's my.cnf and assert that the pod's IPv6 address accepts a root session
    (ipv6) or refuses connections (not ipv6), 127.0.0.1 accepting either way; returns what was shown."""
    port, password = mariadb(net, pod, system_tables, run, label)
    server, client = net.nodes[:2]
    net.accepts(server, "127.0.0.1", port, label)  # up: an IPv6 refusal below is the bind address
    if not ipv6:
        net.refuses(client, server.ipv6, port, label)
        listening = ", ".join(f"`{netns.address(a.strip('[]'), port)}`" for a in sorted(net.listening(server, port)))
        return f"refused on the pod's IPv6 address; accepted on 127.0.0.1 (listening: {listening})"
    greeting = net.accepts(client, server.ipv6, port, label)
    assert greeting[4:5] == b"\x0a", f"{label}: {netns.address(server.ipv6, port)} sent no handshake: {greeting!r}"
    bind = query_over_ipv6(net, port, password, label)
    return f"root session from another pod over IPv6 (`bind_address` `{bind}`); 127.0.0.1 still accepted"


def each_role(net, system_tables, tmp_path, proven, archive: str, stage: str,
              ipv6: bool | Callable[[pods.Pod], bool]) -> None:
    """MariaDB from each replication role's my.cnf of the archive's cluster render at stage, one
    after another, each asserted as serve_and_check says (ipv6: for every role, or per role's pod);
    one table row per result."""
    items = pods.objects(archive, "cluster", stage, PLAN)
    roles = mycnf_pods(items, net.nodes[0].ipv6)
    assert len(roles) == 2, f"{archive}: expected a my.cnf per replication role, found {[p.statefulset for p in roles]}"
    start, shown = time.monotonic(), {}
    for pod in roles:
        label = f"MariaDB with {archive} {pod.statefulset} my.cnf ({stage})"
        role = pod.statefulset.removeprefix(f"{charts.RELEASE}-{charts.chart_of(archive)}-")
        run = tmp_path / pod.statefulset
        shown[role] = serve_and_check(net, pod, system_tables, run, label, ipv6(pod) if callable(ipv6) else ipv6)
        net.stop([net.nodes[0]])
        shutil.rmtree(run / "data")  # ~110 MB of InnoDB files per server; the logs stay for reading
    # One row per chart and stage when both roles showed the same, which is what the table is for.
    rows = {text: [r for r in shown if shown[r] == text] for text in shown.values()}
    for text, names in rows.items():
        proven.add(Row(server_version(), f"{archive.replace('-', ' ', 1)} ({', '.join(names)})", "IPv6",
                       {"before": "chart", "after": "krmfn"}[stage], text), time.monotonic() - start)


@pytest.mark.parametrize("stage", pods.STAGES)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_mariadb(net, system_tables, tmp_path, proven, archive, stage):
    each_role(net, system_tables, tmp_path, proven, archive, stage, ipv6=stage == "after")


def test_broken_bind_address_is_caught(net, system_tables, tmp_path):
    """The harness cannot pass vacuously: krmfn's output with the edit undone must fail the AFTER check
    with a message naming the server and the address it could not reach."""
    archive = ARCHIVES[-1]
    items = pods.objects(archive, "cluster", "after", PLAN)
    edits = 0
    for cm in pods.of_kind(items, "ConfigMap"):
        if "my.cnf" in cm.get("data", {}):
            cm["data"]["my.cnf"], n = re.subn(r"(?m)^bind-address=\*$", "bind-address=0.0.0.0", cm["data"]["my.cnf"])
            edits += n
    assert edits, "krmfn's output has no bind-address=* line to break"
    pod = mycnf_pods(items, net.nodes[0].ipv6)[0]
    label = f"MariaDB with {archive} {pod.statefulset} my.cnf (broken on purpose)"
    with pytest.raises(AssertionError) as caught:
        serve_and_check(net, pod, system_tables, tmp_path, label, ipv6=True)
    port = int(re.search(r"(?m)^port=(\d+)", mycnf(pod)).group(1))
    assert f"{label}: could not reach {netns.address(net.nodes[0].ipv6, port)}" in str(caught.value)


# ---------------------------------------------------------------- the mariadb chart (charts/next)

MARIADB = charts.chart_archives("mariadb")


def mycnf_changed(archive: str) -> set[str]:
    """The StatefulSets whose my.cnf krmfn's output changed in the archive's cluster render."""
    stage = {s: {p.statefulset: mycnf(p) for p in mycnf_pods(pods.objects(archive, "cluster", s, PLAN), "::")}
             for s in pods.STAGES}
    assert stage["before"].keys() == stage["after"].keys()
    return {name for name, text in stage["before"].items() if stage["after"][name] != text}


@pytest.mark.parametrize("stage", pods.STAGES)
@pytest.mark.parametrize("archive", MARIADB)
def test_mariadb_chart(net, system_tables, tmp_path, proven, archive, stage):
    """BEFORE, a role's my.cnf is accepted over IPv6 exactly when krmfn leaves it as the chart wrote it
    (read off krmfn's output, so the server judges the catalog's "already holds" for the primary);
    AFTER, every role is."""
    changed = mycnf_changed(archive)
    # The secondary is the one the chart leaves on 0.0.0.0: BEFORE must have a refusal to show.
    assert sorted(name.removeprefix(f"{charts.RELEASE}-mariadb-") for name in changed) == ["secondary"], changed
    each_role(net, system_tables, tmp_path, proven, archive, stage,
              ipv6=lambda pod: stage == "after" or pod.statefulset not in changed)


def test_double_colon_is_ipv6_only_on_mariadb(net, system_tables, tmp_path):
    """Why the mariadb adapter writes `*` and its check refuses `::`: on MariaDB (10.6+), `::` binds IPv6
    only. krmfn's secondary my.cnf with `*` put back to `::` takes a root session over IPv6 but refuses
    127.0.0.1, which `*` accepts (test_mariadb_chart)."""
    archive = MARIADB[-1]
    items = pods.objects(archive, "cluster", "after", PLAN)
    [pod] = [p for p in mycnf_pods(items, net.nodes[0].ipv6) if p.statefulset.endswith("-secondary")]
    [cm] = [o for o in pods.of_kind(items, "ConfigMap") if o.get("data", {}).get("my.cnf") == mycnf(pod)]
    cm["data"]["my.cnf"], n = re.subn(r"(?m)^bind-address=\*$", "bind-address=::", cm["data"]["my.cnf"])
    assert n == 1, "krmfn's secondary my.cnf has no bind-address=* line"
    label = f"MariaDB with {archive} {pod.statefulset} my.cnf (bind-address=::)"
    port, password = mariadb(net, pod, system_tables, tmp_path, label)
    server = net.nodes[0]
    assert query_over_ipv6(net, port, password, label) == "::"
    net.refuses(server, "127.0.0.1", port, label)
    assert net.listening(server, port) == {"[::]"}
