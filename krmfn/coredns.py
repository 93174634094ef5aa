"""spec.verify.coreDNS: make CoreDNS answer every A query with AAAA records, to prove nothing needs IPv4.

The patch adds `rewrite stop type A AAAA` to the main server block (`.:53 { ... }`) of the
Corefile in ConfigMap kube-system/coredns. Only that line is inserted: the rest of the text
stays byte for byte, so a diff of the ConfigMap shows one line. The rewrite plugin's place
in the chain is fixed by CoreDNS's plugin.cfg, not by where the line sits in the block.
"""
from __future__ import annotations

import re

from krmfn.plan import IPV6, IPv6Plan
from krmfn.sdk import objects
from krmfn.sdk.results import INFO, WARNING, Result

NAMESPACE, NAME, KEY = "kube-system", "coredns", "Corefile"
LINE = "rewrite stop type A AAAA"
PATH = f"data.{KEY}"

_PRESENT = re.compile(r"^\s*rewrite\s+(?:stop\s+|continue\s+)?type\s+A\s+AAAA\s*(?:#.*)?$")
# Keys that name the root zone on DNS port 53: `.`, `.:53`, `dns://.`, `dns://.:53`.
_ROOT = re.compile(r"^(?:dns://)?\.(?::53)?$")


def _code(line: str) -> str:
    """The line without its comment (CoreDNS comments start at #, outside quotes)."""
    out, quoted = [], False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == "#" and not quoted:
            break
        out.append(ch)
    return "".join(out)


def _main_block(lines: list[str]) -> tuple[int, int] | None:
    """Indexes of the main server block's opening line and of its closing line."""
    depth, start = 0, None
    for i, line in enumerate(lines):
        code = _code(line)
        if depth == 0 and start is None and code.rstrip().endswith("{"):
            keys = code.rstrip()[:-1].split()
            if keys and any(_ROOT.match(k) for k in keys):
                start = i
        depth += code.count("{") - code.count("}")
        if start is not None and depth == 0:
            return start, i
    return None


def rewrite(corefile: str) -> tuple[str, str]:
    """(new Corefile, what happened): 'added', 'present' or 'no-block'."""
    lines = corefile.splitlines(keepends=True)
    block = _main_block(lines)
    if block is None:
        return corefile, "no-block"
    start, end = block
    depth = 0
    for line in lines[start + 1:end]:
        if depth == 0 and _PRESENT.match(_code(line)):
            return corefile, "present"
        code = _code(line)
        depth += code.count("{") - code.count("}")
    newline = "\r\n" if lines[start].endswith("\r\n") else "\n"
    body = next((ln for ln in lines[start + 1:end] if ln.strip()), "    ")
    indent = body[: len(body) - len(body.lstrip())] or "    "
    if not lines[start].endswith(("\n", "\r")):
        lines[start] += newline  # `.:53 {` as the text's last line without a newline cannot hold a body
    lines.insert(start + 1, f"{indent}{LINE}{newline}")
    return "".join(lines), "added"


def _is_coredns(obj: dict) -> bool:
    return (
        obj.get("apiVersion") == "v1" and obj.get("kind") == "ConfigMap"
        and objects.namespace(obj) == NAMESPACE and objects.name(obj) == NAME
    )


def patch(objs: list[dict], plan: IPv6Plan) -> list[Result]:
    cms = [o for o in objs if _is_coredns(o)]
    if not cms:
        return [Result(f"verify.coreDNS: no ConfigMap {NAMESPACE}/{NAME} in the input: nothing patched", INFO)]
    results = []
    if plan.mode != IPV6:
        results.append(Result(
            f"verify.coreDNS on a {plan.mode} plan: `{LINE}` answers every A query with AAAA records, so "
            "clients and Services that need IPv4 stop resolving; use it only to prove an IPv6-only cluster",
            WARNING, cms[0], PATH,
        ))
    for cm in cms:
        data = cm.get("data")
        text = data.get(KEY) if isinstance(data, dict) else None
        if not isinstance(text, str):
            results.append(Result(f"verify.coreDNS: {PATH} is missing: nothing patched", WARNING, cm, PATH))
            continue
        new, what = rewrite(text)
        if what == "no-block":
            results.append(Result(
                "verify.coreDNS: no main server block (`.:53 {`) in the Corefile: nothing patched",
                WARNING, cm, PATH,
            ))
        elif what == "present":
            results.append(Result(f"verify.coreDNS: `{LINE}` is already in the main server block", INFO, cm, PATH))
        else:
            data[KEY] = new
            results.append(Result(f"verify.coreDNS: added `{LINE}` to the main server block", INFO, cm, PATH))
    return results
