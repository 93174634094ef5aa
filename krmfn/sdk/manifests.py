"""Reading manifests the way a user hands them over: files, directories, stdin, ResourceLists, Lists."""
from __future__ import annotations

import sys
from pathlib import Path

from krmfn.sdk import yaml12
from krmfn.sdk.errors import InputError

SUFFIXES = (".yaml", ".yml", ".json")


def _files(arg: str) -> list[Path]:
    path = Path(arg)
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
    if path.is_file():
        return [path]
    raise InputError(f"{arg}: no such file or directory")


def _objects(doc, where: str) -> list[dict]:
    if doc is None:
        return []
    if not isinstance(doc, dict):
        raise InputError(f"{where}: expected a Kubernetes object (a map), got {type(doc).__name__}")
    if doc.get("kind") in ("ResourceList", "List") and isinstance(doc.get("items"), list):
        return [i for i in doc["items"] if isinstance(i, dict)]
    return [doc]


def read(args: list[str] | tuple[str, ...]) -> list[dict]:
    """Every object in the named inputs, in order; '-' (or no input at all) is stdin."""
    sources: list[tuple[str, bytes]] = []
    for arg in args or ["-"]:
        if arg == "-":
            sources.append(("<stdin>", sys.stdin.buffer.read()))
        else:
            sources.extend((str(p), p.read_bytes()) for p in _files(arg))
    out: list[dict] = []
    for where, data in sources:
        try:
            docs = yaml12.load_all(yaml12.decode(data))
        except InputError as e:
            raise InputError(f"{where}: {e}") from None
        for doc in docs:
            out.extend(_objects(doc, where))
    return out
