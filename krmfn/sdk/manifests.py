"""Reading manifests the way users hand them over: files, directories, stdin, ResourceLists, Lists."""
from __future__ import annotations

from pathlib import Path

from krmfn.sdk import objects, resourcelist, yaml12
from krmfn.sdk.errors import InputError

SUFFIXES = (".yaml", ".yml", ".json")
# Configuration of manifests, not manifests: skipped when walking a directory.
NOT_MANIFESTS = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})
_PATH, _INDEX = "internal.config.kubernetes.io/path", "internal.config.kubernetes.io/index"


def _files(arg: str) -> list[Path]:
    path = Path(arg)
    if path.is_dir():
        return sorted(
            p for p in path.rglob("*")
            if p.is_file() and p.suffix in SUFFIXES and p.name not in NOT_MANIFESTS
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
    if not path.exists():
        raise InputError(f"{arg}: no such file or directory")
    return [path]


def _documents(data: bytes) -> list:
    text = yaml12.decode(data)
    if text.lstrip().startswith(("{", "[")):
        return [resourcelist.parse_document(data)[0]]  # JSON, with its duplicate-key check
    return yaml12.load_all(text)


def describe(value) -> str:
    return {list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__)


def _is_object(doc) -> bool:
    return isinstance(doc, dict) and bool(doc.get("kind") and doc.get("apiVersion"))


def _objects(docs: list, source: str, annotate: bool, skip_others: bool = False) -> tuple[list[dict], object]:
    """The Kubernetes objects in a stream, ResourceLists and Lists unpacked; and a functionConfig.

    ``skip_others`` drops documents that are no Kubernetes object instead of refusing them: a
    repository's values files, CI configs and .pre-commit-config.yaml, which a hook sees too.
    """
    out, function_config = [], None
    for n, doc in enumerate(docs, 1):
        where = f"{source}: document {n}" if len(docs) > 1 else source
        if doc is None or (skip_others and not isinstance(doc, list) and not _is_object(doc)):
            continue
        # A plain array of objects is what `helm template | yq -o json` gives: a List without its head.
        if isinstance(doc, list):
            doc = {"kind": "List", "items": doc}
        if not isinstance(doc, dict):
            raise InputError(f"{where} is {describe(doc)}, not a Kubernetes object")
        unpack = doc.get("kind") in ("ResourceList", "List") and isinstance(doc.get("items"), list)
        if unpack and doc.get("kind") == "ResourceList":
            function_config = doc.get("functionConfig")
        items = doc["items"] if unpack else [doc]
        for i, item in enumerate(items):
            what = f"{where}, items[{i}]," if unpack else where
            if skip_others and not _is_object(item):
                continue
            if not isinstance(item, dict):
                raise InputError(f"{what} is {describe(item)}, not a Kubernetes object")
            if not item.get("kind") or not item.get("apiVersion"):
                raise InputError(f"{what} is not a Kubernetes object (no apiVersion or kind)")
            md = item.get("metadata")
            if annotate and isinstance(md, dict) and objects.file_ref(item) is None:
                ann = md.setdefault("annotations", {})
                if isinstance(ann, dict):
                    ann.update({_PATH: source, _INDEX: str(n - 1)})
            out.append(item)
    return out, function_config


def read(inputs: tuple[str, ...], stdin, annotate: bool = False,
         skip_non_manifests: bool = False) -> tuple[list[dict], object]:
    """Every object in the inputs ('-' is stdin), and the functionConfig of a ResourceList among them.

    ``annotate`` records each object's file in kpt's path/index annotations, so that findings
    can name where an object came from; transforms leave it off to keep objects as they were.
    """
    items, function_config = [], None
    for arg in inputs:
        if arg == "-":
            # One byte past the limit is enough for decode() to refuse an endless stream.
            data = stdin.buffer.read(yaml12.MAX_INPUT_BYTES + 1)
            found, fc = _objects(_documents(data), "stdin", False, skip_non_manifests)
        else:
            found, fc = [], None
            for path in _files(arg):
                more, fc_more = _objects(_documents(path.read_bytes()), str(path), annotate, skip_non_manifests)
                found += more
                fc = fc or fc_more
        items += found
        function_config = function_config or fc
    return items, function_config
