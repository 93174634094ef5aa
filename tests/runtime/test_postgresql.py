"""PostgreSQL 15 (Debian's) with the postgresql chart's primary, on an IPv6-only network: a client in another pod
over IPv6, with the render as Helm makes it (BEFORE) and as krmfn leaves it (AFTER).

What the pod's files are is part of the premise, so it is said here. The chart mounts postgresql.conf and
pg_hba.conf only when the user gives them (primary.configuration / primary.pgHbaConfiguration); otherwise
the Bitnami image writes both at start, and that image is not run here. Its files are **modelled** from
the image's scripts (bitnami/containers postgresql 17/debian-12 libpostgresql.sh and setup.sh, read, not
run): postgresql.conf is PostgreSQL's sample with `listen_addresses = '*'`, the port and
`include_dir = 'conf.d'` set the way the image sets them; pg_hba.conf holds the image's rules for the
release's env (0.0.0.0/0 and ::/0 for everyone, the loopback and local rules, `trust` turned into `md5`
once a password is set, replication rules when a replication user is). A postgresql.conf of the user's is
used as given, with only the port set as the image sets it; a pg_hba.conf of the user's replaces the
image's, as the image's setup does after initialising. Settings that are not about addresses (pgaudit,
logging, WAL) are not modelled; the socket directory and the data directory are the test's.

Renders: the chart's default (both files the image's: accepted over IPv6 before and after; krmfn adds
nothing, which is the adapter's decision not to fill an empty pg_hba.conf), a user's pg_hba.conf with
IPv4 rules only (BEFORE: the connection is made and refused by pg_hba; AFTER: the session is accepted),
and a user's postgresql.conf saying `listen_addresses = '0.0.0.0'` beside it (BEFORE: refused at
connect; AFTER: accepted). After krmfn the chart's own liveness and readiness probes (`pg_isready -h
127.0.0.1`) pass. A broken adapter, krmfn's output with the ::/0 rules taken out again, must fail naming
the server and the pg_hba refusal.
"""
from __future__ import annotations

import copy
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from krmfn.sdk import yaml12
from tests import chartrun, charts
from tests.runtime import netns, pods
from tests.runtime.conftest import IN_CI
from tests.runtime.table import Row

BIN = Path("/usr/lib/postgresql/15/bin")
SAMPLE = Path("/usr/share/postgresql/15/postgresql.conf.sample")
ARCHIVES = charts.chart_archives("postgresql")
PLAN = charts.plan("ipv6")
PATH = {"PATH": f"{BIN}:/usr/sbin:/usr/bin:/bin"}
CONF_DIR = "/bitnami/postgresql/conf"  # the image's POSTGRESQL_MOUNTED_CONF_DIR, where the chart mounts them

IPV4_HBA = "local all all md5\nhost all all 127.0.0.1/32 md5\nhost all all 0.0.0.0/0 md5\nhost replication all 0.0.0.0/0 md5"
IPV4_CONF = "max_connections = 50\nlisten_addresses = '0.0.0.0'\nshared_buffers = 32MB\n"
RENDERS = {
    "default": {},
    "own-pg-hba": {"primary": {"pgHbaConfiguration": IPV4_HBA}},
    "own-conf-and-pg-hba": {"primary": {"configuration": IPV4_CONF, "pgHbaConfiguration": IPV4_HBA}},
}



@pytest.fixture(autouse=True, scope="module")
def postgresql_installed(runtime_ready) -> None:
    """Debian's postgresql-15 is not among the suite's NEEDED binaries (conftest.py): missing, it skips here,
    and fails in CI as the rest of the suite does."""
    if not (BIN / "postgres").exists():
        reason = f"{BIN / 'postgres'} is missing: apt-get install postgresql-15"
        if IN_CI:
            pytest.fail(f"{reason} (CI=true)")
        pytest.skip(reason)


def server_version() -> str:
    out = subprocess.run([BIN / "postgres", "--version"], capture_output=True, text=True, timeout=10).stdout
    return "PostgreSQL " + re.search(r"\) (\d+)\.", out).group(1)


def stages(archive: str, render: str) -> dict[str, list[dict]]:
    """The render as Helm makes it, and krmfn's function-mode output over it (IPv6-only plan)."""
    before = charts.render(archive, charts.merge(charts.repeatable(archive), RENDERS[render]))
    rc, out, err = chartrun.run_function(copy.deepcopy(before), PLAN)
    assert rc == 0, f"krmfn failed on {archive} {render}: {err}"
    return {"before": before, "after": out["items"]}


def primary(items: list[dict], ip: str) -> pods.Pod:
    [sts] = [o for o in pods.of_kind(items, "StatefulSet")
             if o["metadata"]["labels"].get("app.kubernetes.io/component") == "primary"]
    return pods.Pod(items, sts["metadata"]["name"], "postgresql", 0, ip)


def secret_env(pod: pods.Pod, name: str) -> str | None:
    """A variable the image reads from env or, in newer charts, from the mounted file *_FILE names."""
    env = pod.env()
    return env[name] if name in env else pod.file(env[f"{name}_FILE"]) if f"{name}_FILE" in env else None


# --- the image's files, modelled (see the module's docstring) ---

def set_property(text: str, key: str, value: str) -> str:
    """postgresql.conf with `key = 'value'`: every line setting the key, commented out or not, replaced, else
    one appended: what the image's postgresql_set_property does."""
    line = f"{key} = '{value}'"
    pattern = re.compile(rf"(?m)^#*\s*{re.escape(key)}\s*=.*$")
    return pattern.sub(line, text) if pattern.search(text) else text.rstrip("\n") + f"\n{line}\n"


def image_postgresql_conf(port: str) -> str:
    text = SAMPLE.read_text()
    text = text.replace("#include_dir = '...'", "include_dir = 'conf.d'\n#include_dir = '...'", 1)
    return set_property(set_property(text, "port", port), "listen_addresses", "*")


def image_pg_hba(pod: pods.Pod) -> str:
    env = pod.env()
    assert env.get("POSTGRESQL_ENABLE_LDAP") == "no" and env.get("POSTGRESQL_ENABLE_TLS") == "no", \
        "the model covers the image's password rules only (no LDAP, no TLS client certificates)"
    rules = ["host all all 0.0.0.0/0 trust", "host all all ::/0 trust",
             "local all all trust", "host all all 127.0.0.1/32 trust", "host all all ::1/128 trust"]
    if secret_env(pod, "POSTGRES_PASSWORD"):
        rules = [r.replace("trust", "md5") for r in rules]
    if env.get("POSTGRES_REPLICATION_USER"):
        method = "md5" if secret_env(pod, "POSTGRES_REPLICATION_PASSWORD") else "trust"
        rules += [f"host replication all 0.0.0.0/0 {method}", f"host replication all ::/0 {method}"]
    return "\n".join(rules) + "\n"


def pod_files(pod: pods.Pod) -> tuple[str, str, str | None, list[str]]:
    """(postgresql.conf, pg_hba.conf, override.conf or None, which of them the image wrote)."""
    mounted = {**pod.mounts().get(CONF_DIR, {})}
    port = pod.env()["POSTGRESQL_PORT_NUMBER"]
    modelled = []
    if "postgresql.conf" in mounted:
        conf = set_property(mounted["postgresql.conf"], "port", port)
    else:
        conf, modelled = image_postgresql_conf(port), modelled + ["postgresql.conf"]
    if "pg_hba.conf" in mounted:
        hba = mounted["pg_hba.conf"]
    else:
        hba, modelled = image_pg_hba(pod), modelled + ["pg_hba.conf"]
    override = pod.mounts().get(f"{CONF_DIR}/conf.d/", {}).get("override.conf")
    return conf, hba, override, modelled


# --- the server ---

@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    """Where the postgres user can read and write: pytest's tmp_path is root's alone."""
    root = Path(tempfile.mkdtemp(prefix="krmfn-pg-", dir="/tmp"))
    root.chmod(0o755)
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def as_postgres(*cmd) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *map(str, cmd)]


@pytest.fixture(scope="module")
def cluster(workdir: Path) -> dict[str, Path]:
    """initdb once per password (~2 s each); each server gets a copy."""
    made: dict[str, Path] = {}

    def get(password: str) -> Path:
        if password not in made:
            base = workdir / f"initdb-{len(made)}"
            base.mkdir()
            (base / "pw").write_text(password)
            shutil.chown(base, "postgres")
            shutil.chown(base / "pw", "postgres")
            subprocess.run(as_postgres(BIN / "initdb", "-D", base / "data", "-U", "postgres", "-E", "UTF8",
                                       "-A", "scram-sha-256", f"--pwfile={base / 'pw'}"),
                           check=True, capture_output=True, timeout=60)
            made[password] = base / "data"
        return made[password]
    return get


def serve(net: netns.Network, pod: pods.Pod, cluster, run: Path, label: str) -> tuple[int, str, list[str]]:
    """postgres in node 0 with the pod's files (modelled where the image writes them); returns the port,
    the postgres password and which files were modelled."""
    conf, hba, override, modelled = pod_files(pod)
    password = secret_env(pod, "POSTGRES_PASSWORD")
    run.mkdir()
    (run / "conf" / "conf.d").mkdir(parents=True)
    (run / "conf" / "postgresql.conf").write_text(conf)
    (run / "conf" / "pg_hba.conf").write_text(hba)
    if override is not None:
        (run / "conf" / "conf.d" / "override.conf").write_text(override)
    subprocess.run(["cp", "-a", cluster(password), run / "data"], check=True, timeout=60)
    subprocess.run(["chown", "-R", "postgres:postgres", run], check=True, timeout=30)
    port = int(pod.env()["POSTGRESQL_PORT_NUMBER"])
    # As the image's run.sh starts it: the config and hba files named on the command line.
    cmd = as_postgres(BIN / "postgres", "-D", run / "data", f"--config-file={run / 'conf' / 'postgresql.conf'}",
                      f"--hba_file={run / 'conf' / 'pg_hba.conf'}", "-c", f"unix_socket_directories={run}")
    log = run / "postgres.log"
    net.boot(net.nodes[0], label, netns.address("127.0.0.1", port), cmd, PATH, log,
             ready=lambda: "database system is ready to accept connections" in log.read_text(), timeout=30)
    return port, password, modelled


def session(net: netns.Network, port: int, password: str) -> subprocess.CompletedProcess:
    """psql from node 1 to node 0's IPv6 address: a login and a query, not a bare connect."""
    dsn = f"host={net.nodes[0].ipv6} port={port} user=postgres dbname=postgres sslmode=disable connect_timeout=5"
    return net.run(net.nodes[1], [str(BIN / "psql"), dsn, "-tAc", "SELECT inet_client_addr()"],
                   {**PATH, "PGPASSWORD": password}, 15)


def probes(net: netns.Network, pod: pods.Pod) -> None:
    """The chart's liveness and readiness commands, run in the server's pod."""
    for kind in ("livenessProbe", "readinessProbe"):
        proc = net.run(net.nodes[0], pod.probe(kind), PATH, 10)
        assert proc.returncode == 0, f"{pod.name} {kind} {pod.probe(kind)[-1]!r}: {proc.stdout}{proc.stderr}"


def check(net, pod, cluster, run, label: str, accepted: bool) -> str:
    """Serve the pod's files and assert an IPv6 client's fate; returns what was shown."""
    port, password, modelled = serve(net, pod, cluster, run, label)
    server, client = net.nodes[:2]
    where = netns.address(server.ipv6, port)
    listening = ", ".join(f"`{netns.address(a.strip('[]'), port)}`" for a in sorted(net.listening(server, port)))
    files = f" (image's {' and '.join(modelled)}, modelled)" if modelled else ""
    if accepted:
        proc = session(net, port, password)
        assert proc.returncode == 0, f"{label}: no session at {where} from {client.ns}: {proc.stderr.strip()}"
        assert proc.stdout.strip() == client.ipv6, proc.stdout
        probes(net, pod)
        return f"postgres session from another pod over IPv6{files}; the chart's probes (127.0.0.1) pass; listening: {listening}"
    if not any(a in ("*", "[::]") for a in net.listening(server, port)):
        net.refuses(client, server.ipv6, port, label)
        return f"refused on the pod's IPv6 address{files}; listening: {listening}"
    proc = session(net, port, password)
    assert proc.returncode != 0, f"{label}: {where} accepted a session, expected pg_hba to refuse it"
    assert f'no pg_hba.conf entry for host "{client.ipv6}"' in proc.stderr, proc.stderr
    return f"connects over IPv6, refused by pg_hba.conf (no entry for the client's IPv6 address){files}"


CASES = [(a, r) for a in ARCHIVES for r in RENDERS if r != "default" or a == ARCHIVES[-1]]


@pytest.mark.parametrize("stage", pods.STAGES)
@pytest.mark.parametrize(("archive", "render"), CASES, ids=[f"{a}-{r}" for a, r in CASES])
def test_postgresql(net, cluster, workdir, proven, archive, render, stage):
    start = time.monotonic()
    both = stages(archive, render)
    pod = primary(both[stage], net.nodes[0].ipv6)
    if render == "default":
        # Nothing for krmfn to edit: the image's files serve both stages (pg-hba-ipv6-rules fills nothing).
        assert pod_files(pod) == pod_files(primary(both["before"], net.nodes[0].ipv6)) and pod_files(pod)[3]
    label = f"PostgreSQL with {archive} {render} ({stage})"
    run = workdir / f"{archive}-{render}-{stage}"
    shown = check(net, pod, cluster, run, label, accepted=stage == "after" or render == "default")
    what = {"default": "chart default", "own-pg-hba": "own pgHbaConfiguration, IPv4 rules",
            "own-conf-and-pg-hba": "own configuration listen_addresses 0.0.0.0 and pgHbaConfiguration"}[render]
    proven.add(Row(server_version(), f"{archive.replace('-', ' ', 1)} ({what})", "IPv6",
                   {"before": "chart", "after": "krmfn"}[stage], shown), time.monotonic() - start)


def test_broken_pg_hba_is_caught(net, cluster, workdir):
    """The harness cannot pass vacuously: krmfn's output with its ::/0 rules taken out again must fail the
    AFTER check, naming the server and the pg_hba refusal."""
    archive = ARCHIVES[-1]
    items = stages(archive, "own-pg-hba")["after"]
    removed = 0
    for cm in pods.of_kind(items, "ConfigMap"):
        if "pg_hba.conf" in cm.get("data", {}):
            lines = cm["data"]["pg_hba.conf"].split("\n")
            cm["data"]["pg_hba.conf"] = "\n".join(line for line in lines if "::/0" not in line)
            removed += len(lines) - len(cm["data"]["pg_hba.conf"].split("\n"))
    assert removed == 2, yaml12.dump(items)
    label = f"PostgreSQL with {archive} own-pg-hba (broken on purpose)"
    with pytest.raises(AssertionError) as caught:
        check(net, primary(items, net.nodes[0].ipv6), cluster, workdir / "broken", label, accepted=True)
    assert f"{label}: no session at {netns.address(net.nodes[0].ipv6, 5432)}" in str(caught.value)
    assert "no pg_hba.conf entry for host" in str(caught.value)
