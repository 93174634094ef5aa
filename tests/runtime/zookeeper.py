"""ZooKeeper servers run from the zookeeper chart's StatefulSet.

The bitnami image writes zoo.cfg from the container's ZOO_* environment at start (libzookeeper.sh,
zookeeper_generate_conf); zoo_cfg() does the same from the rendered env, and the server id comes
from the pod's ordinal as the chart's command computes it from `hostname -s` (ordinal + 1). The
JVM heap is capped (ZOO_HEAP_SIZE asks for 1 GiB per pod; three of those do not fit a test
machine) and logs go to stderr at INFO for the failure messages; nothing else changes.
"""
from __future__ import annotations

import re
from pathlib import Path

from tests.runtime import netns, pods

JAR = "/usr/share/java/zookeeper.jar"
# zookeeper.jar's manifest names its dependencies; slf4j-simple gives it a logger.
CLASSPATH = f"{JAR}:/usr/share/java/slf4j-simple.jar"
MAIN = "org.apache.zookeeper.server.quorum.QuorumPeerMain"


def version() -> str:
    return "ZooKeeper " + ".".join(re.search(r"zookeeper-(\d+)\.(\d+)", " ".join(
        p.name for p in Path(JAR).parent.glob("zookeeper-[0-9]*.jar"))).groups())


def yes(value: str) -> bool:
    return value.lower() in ("1", "yes", "true")


def zoo_cfg(env: dict[str, str], data_dir: Path) -> str:
    """zoo.cfg as the image generates it from ZOO_* variables."""
    lines = {
        "tickTime": env["ZOO_TICK_TIME"], "initLimit": env["ZOO_INIT_LIMIT"], "syncLimit": env["ZOO_SYNC_LIMIT"],
        "dataDir": str(data_dir), "clientPort": env["ZOO_PORT_NUMBER"],
        "maxClientCnxns": env["ZOO_MAX_CLIENT_CNXNS"], "preAllocSize": env["ZOO_PRE_ALLOC_SIZE"],
        "snapCount": env["ZOO_SNAPCOUNT"], "4lw.commands.whitelist": env["ZOO_4LW_COMMANDS_WHITELIST"],
        "autopurge.purgeInterval": env["ZOO_AUTOPURGE_INTERVAL"],
        "autopurge.snapRetainCount": env["ZOO_AUTOPURGE_RETAIN_COUNT"],
        "maxSessionTimeout": env["ZOO_MAX_SESSION_TIMEOUT"],
        "quorumListenOnAllIPs": str(yes(env["ZOO_LISTEN_ALLIPS_ENABLED"])).lower(),
    }
    # ZOO_SERVERS entries are host:quorum:election::id; the image writes server.<id>=host:ports;clientPort.
    for entry in re.split(r"[\s,]+", env["ZOO_SERVERS"].strip()):
        address, sid = entry.rsplit("::", 1)
        lines[f"server.{sid}"] = f"{address};{env['ZOO_PORT_NUMBER']}"
    return "".join(f"{k}={v}\n" for k, v in lines.items())


def start(net: netns.Network, pod: pods.Pod, node: netns.Node, run: Path) -> Path:
    """Server <ordinal + 1> of the ensemble in node; returns its log."""
    env = pod.env()
    data = run / "data"
    data.mkdir(parents=True)
    (data / "myid").write_text(f"{pod.ordinal + 1}\n")
    (run / "zoo.cfg").write_text(zoo_cfg(env, data))
    log = run / "server.log"
    net.start(node, ["java", "-Xmx128m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
                     "-cp", CLASSPATH, MAIN, str(run / "zoo.cfg")],
              {"PATH": "/usr/bin:/bin"}, log)
    return log


def four_letter(net: netns.Network, client: netns.Node, host: str, port: int, word: str) -> str:
    """A four-letter command over TCP from client (OSError while nothing listens: callers wait)."""
    with net.connect(client, host, port, timeout=5) as sock:
        sock.sendall(word.encode())
        chunks = []
        while chunk := sock.recv(4096):
            chunks.append(chunk)
    return b"".join(chunks).decode()


def mode(net: netns.Network, client: netns.Node, host: str, port: int) -> str | None:
    """leader, follower, standalone, or None while the server has no quorum."""
    m = re.search(r"(?m)^Mode: (\w+)", four_letter(net, client, host, port, "srvr"))
    return m.group(1) if m else None
