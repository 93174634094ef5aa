"""An IPv6-only pod network made of Linux network namespaces, and the processes run in it.

Each node namespace is a "pod": `lo` (127.0.0.1, ::1) and an `eth0` whose only address is a
ULA, joined to the other nodes through a bridge in a hub namespace. Names resolve through
/etc/netns/<ns>/hosts, which `ip netns exec` bind-mounts over /etc/hosts, and resolv.conf
points at ::1, where nothing answers, so no lookup and no packet leaves the machine.
"""
from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

NETNS_ETC = Path("/etc/netns")
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


class Timeout(AssertionError):
    pass


class Unreachable(AssertionError):
    """A server could not be reached at an address: a test failure, and worth retrying while waiting."""


def wait_for(what: str, check: Callable[[], object], timeout: float, interval: float = 0.25):
    """check() until it returns something truthy; every wait in the suite is bounded by this.
    Connection errors count as "not yet"; any other failure ends the wait at once."""
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            last = check()
        except (OSError, Unreachable) as e:
            last = e
        else:
            if last:
                return last
        if time.monotonic() > deadline:
            raise Timeout(f"{what}: not within {timeout:.0f} s (last: {last!r})")
        time.sleep(interval)


def ip(*args: str) -> None:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10)
    if proc.returncode:
        raise RuntimeError(f"ip {' '.join(args)}: {proc.stderr.strip()}")


@dataclass
class Node:
    ns: str
    index: int
    ipv4: str | None = None

    @property
    def ipv6(self) -> str:
        return f"fd00:10::{self.index + 1}"

    def addresses(self) -> list[str]:
        return [self.ipv6, *([self.ipv4] if self.ipv4 else [])]


@dataclass(frozen=True)
class Records:
    """What cluster DNS answers for a name of a Service that sets ipFamilies: those families only."""

    nodes: list[Node]
    families: tuple[str, ...]


def family(addr: str) -> str:
    return "IPv6" if ":" in addr else "IPv4"


def resolve(names: dict[str, Node | list[Node] | Records], host: str) -> set[str]:
    """The addresses host stands for: itself when it is an address, else what the hosts file made
    from names answers for it (nothing when it is not there)."""
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
        return {host}
    except OSError:
        pass
    answer = names.get(host, [])
    families = answer.families if isinstance(answer, Records) else ("IPv6", "IPv4")
    nodes = answer.nodes if isinstance(answer, Records) else answer
    return {a for n in (nodes if isinstance(nodes, list) else [nodes]) for a in n.addresses() if family(a) in families}


@dataclass
class Network:
    """`size` node namespaces named <prefix>-n<i> and a hub <prefix>-hub."""

    prefix: str
    size: int = 3
    nodes: list[Node] = field(init=False)
    procs: dict[int, subprocess.Popen] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.nodes = [Node(f"{self.prefix}-n{i}", i) for i in range(self.size)]
        self.hub = f"{self.prefix}-hub"

    def create(self) -> None:
        ip("netns", "add", self.hub)
        ip("-n", self.hub, "link", "add", "br0", "type", "bridge")
        ip("-n", self.hub, "link", "set", "br0", "up")
        for node in self.nodes:
            ip("netns", "add", node.ns)
            port = f"v{node.index}"
            ip("-n", self.hub, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", node.ns)
            ip("-n", self.hub, "link", "set", port, "master", "br0", "up")
            ip("-n", node.ns, "link", "set", "lo", "up")
            # No link-local address: the ULA is the node's only non-loopback address, as asked
            # of an IPv6-only pod; neighbour discovery works from the ULA itself.
            ip("-n", node.ns, "link", "set", "eth0", "addrgenmode", "none")
            ip("-n", node.ns, "link", "set", "eth0", "up")
            # nodad: usable at once instead of after duplicate address detection (~1-2 s).
            ip("-n", node.ns, "addr", "add", f"{node.ipv6}/64", "dev", "eth0", "nodad")
            etc = NETNS_ETC / node.ns
            etc.mkdir(parents=True, exist_ok=True)
            (etc / "resolv.conf").write_text("nameserver ::1\n")
        self.hosts({})

    def destroy(self) -> None:
        """Every process in the namespaces stopped by PID, then the namespaces and their /etc removed."""
        errors = []
        try:
            self.stop()
        except Exception as e:  # remove the namespaces anyway; report at the end
            errors.append(e)
        for ns in [n.ns for n in self.nodes] + [self.hub]:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)
            etc = NETNS_ETC / ns
            if etc.exists():
                for f in etc.iterdir():
                    f.unlink()
                etc.rmdir()
        if errors:
            raise errors[0]

    # --- names and families ---

    def hosts(self, names: dict[str, Node | list[Node] | Records]) -> None:
        """The same hosts file in every node: each name to its node's addresses (IPv6 first), or to
        those of the Records' families only, nothing else."""
        lines = ["127.0.0.1 localhost", "::1 localhost ip6-localhost ip6-loopback"]
        for name, nodes in names.items():
            families = nodes.families if isinstance(nodes, Records) else ("IPv6", "IPv4")
            nodes = nodes.nodes if isinstance(nodes, Records) else nodes
            for node in nodes if isinstance(nodes, list) else [nodes]:
                lines += [f"{a} {name}" for a in node.addresses() if family(a) in families]
        for node in self.nodes:
            # In place, same inode: processes already running got this file bind-mounted by
            # `ip netns exec` and see the change, as pods see cluster DNS change.
            (NETNS_ETC / node.ns / "hosts").write_text("\n".join(lines) + "\n")

    @contextmanager
    def dual_stack(self) -> Iterator[None]:
        """IPv4 addresses beside the ULAs, for a dual-stack plan; removed again afterwards."""
        for node in self.nodes:
            node.ipv4 = f"10.244.0.{node.index + 1}"
            ip("-n", node.ns, "addr", "add", f"{node.ipv4}/24", "dev", "eth0")
        try:
            yield
        finally:
            for node in self.nodes:
                ip("-n", node.ns, "addr", "del", f"{node.ipv4}/24", "dev", "eth0")
                node.ipv4 = None

    # --- processes ---

    def start(self, node: Node, cmd: list[str], env: dict[str, str], log: Path, cwd: Path | None = None) -> subprocess.Popen:
        """cmd in node's namespace, with exactly env (no host environment leaks in), output to log."""
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                ["ip", "netns", "exec", node.ns, *cmd], env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        self.procs[proc.pid] = proc
        return proc

    def run(self, node: Node, cmd: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
        """A client command in node's namespace; `timeout` kills it if it stalls (the Erlang CLI does)."""
        return subprocess.run(
            ["timeout", "-k", "2", str(timeout), "ip", "netns", "exec", node.ns, *cmd],
            env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout + 5,
        )

    def pids(self, node: Node) -> list[int]:
        out = subprocess.run(["ip", "netns", "pids", node.ns], capture_output=True, text=True, timeout=10).stdout
        return [int(p) for p in out.split()]

    def stop(self, nodes: list[Node] | None = None, timeout: float = 20) -> None:
        """TERM every process in the nodes' namespaces (all by default) by PID, daemons such as epmd
        included, all at once so that graceful shutdowns overlap; KILL what outlives timeout."""
        pids = [pid for node in (self.nodes if nodes is None else nodes) for pid in self.pids(node)]
        for pid in pids:
            _signal(pid, signal.SIGTERM)
        try:
            wait_for(f"processes {pids} to exit", lambda: not self._alive(pids), timeout)
        except Timeout:
            for pid in self._alive(pids):
                _signal(pid, signal.SIGKILL)
            wait_for(f"killed processes {pids} to go", lambda: not self._alive(pids), 10)

    def _alive(self, pids: list[int]) -> list[int]:
        for pid in pids:
            if pid in self.procs:
                self.procs[pid].poll()  # reaps our own children, so a zombie does not count as alive
        return [p for p in pids if _running(p)]

    def boot(self, node: Node, server: str, at: str, cmd: list[str], env: dict[str, str], log: Path,
             ready: Callable[[], object], timeout: float, cwd: Path | None = None) -> subprocess.Popen:
        """Start server in node and wait until it is ready (see await_ready)."""
        proc = self.start(node, cmd, env, log, cwd)
        self.await_ready(proc, node, server, at, log, ready, timeout)
        return proc

    def await_ready(self, proc: subprocess.Popen, node: Node, server: str, at: str, log: Path,
                    ready: Callable[[], object], timeout: float) -> None:
        """Wait until ready() (which may raise AssertionError itself to fail fast); a server that
        exits or stays unready fails the test naming the server, the address `at` it could not be
        reached at, and the end of its log."""
        def check() -> object:
            if proc.poll() is not None:
                raise AssertionError(f"{server}: could not reach {at}: exited {proc.returncode} in {node.ns}:\n{tail(log)}")
            return ready()

        try:
            wait_for(f"{server}: could not reach {at}", check, timeout)
        except Timeout as e:
            raise Timeout(f"{e}\n{tail(log)}") from None

    def accepts(self, client: Node, host: str, port: int, server: str, timeout: float = 3) -> bytes:
        """Connect from client to host:port and read what the server says first (b"" if it waits for
        the client); anything but an open connection fails naming server and address."""
        try:
            with self.connect(client, host, port, timeout) as sock:
                try:
                    return sock.recv(256)
                except TimeoutError:
                    return b""
        except OSError as e:
            raise Unreachable(f"{server}: could not reach {address(host, port)} from {client.ns}: {e}") from None

    def refuses(self, client: Node, host: str, port: int, server: str, timeout: float = 3) -> None:
        """The connection is actively refused (nothing listens there), not merely slow."""
        try:
            self.connect(client, host, port, timeout).close()
        except ConnectionRefusedError:
            return
        except OSError as e:
            raise AssertionError(f"{server}: {address(host, port)} from {client.ns} neither accepted "
                                 f"nor refused: {e}") from None
        raise AssertionError(f"{server}: {address(host, port)} accepted a connection from {client.ns}, expected a refusal")

    # --- probes from inside a namespace ---

    def connect(self, node: Node, host: str, port: int, timeout: float = 3) -> socket.socket:
        """A TCP connection made from node's namespace to host:port (raises ConnectionRefusedError etc.)."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with in_netns(node.ns):
            sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect((host, port))
        except BaseException:
            sock.close()
            raise
        return sock

    def listening(self, node: Node, port: int) -> set[str]:
        """Local addresses of TCP listeners on port in node's namespace, as ss prints them ("*", "[::]", "0.0.0.0", …)."""
        out = subprocess.run(
            ["ip", "netns", "exec", node.ns, "ss", "-Hltn", f"sport = :{port}"],
            capture_output=True, text=True, timeout=10,
        ).stdout
        return {line.split()[3].rsplit(":", 1)[0] for line in out.splitlines() if line.strip()}

    def peers(self, node: Node, port: int) -> set[str]:
        """Remote addresses of established TCP connections to or from port in node's namespace."""
        out = subprocess.run(
            ["ip", "netns", "exec", node.ns, "ss", "-Htn", "state", "established", f"( sport = :{port} or dport = :{port} )"],
            capture_output=True, text=True, timeout=10,
        ).stdout
        return {line.split()[3].rsplit(":", 1)[0].strip("[]") for line in out.splitlines() if line.strip()}


@contextmanager
def in_netns(ns: str) -> Iterator[None]:
    """This thread inside ns for the block; sockets made there stay in ns after it."""
    own = os.open(f"/proc/self/task/{threading.get_native_id()}/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{ns}", os.O_RDONLY)
    try:
        if _libc.setns(target, CLONE_NEWNET):
            raise OSError(ctypes.get_errno(), f"setns {ns}")
        try:
            yield
        finally:
            if _libc.setns(own, CLONE_NEWNET):
                raise OSError(ctypes.get_errno(), "setns back to the host namespace")
    finally:
        os.close(target)
        os.close(own)


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def tail(log: Path, lines: int = 15) -> str:
    text = log.read_text(errors="replace") if log.exists() else ""
    return "\n".join(text.splitlines()[-lines:])
