"""Reading and writing the ResourceList a KRM function receives on stdin and returns on stdout."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from krmfn.sdk import yaml12
from krmfn.sdk.errors import InputError
from krmfn.sdk.results import Result

API_VERSIONS = ("config.kubernetes.io/v1", "config.kubernetes.io/v1alpha1")


@dataclass
class ResourceList:
    doc: dict
    fmt: str = "yaml"
    results: list[Result] = field(default_factory=list)

    @property
    def items(self) -> list:
        return self.doc["items"]

    @property
    def function_config(self) -> Any:
        return self.doc.get("functionConfig")

    def serialize(self) -> str:
        doc = dict(self.doc)
        doc["results"] = [r.to_dict() for r in self.results]
        if not doc["results"]:
            del doc["results"]
        return yaml12.dump_json(doc) if self.fmt == "json" else yaml12.dump(doc)


def parse_document(data: bytes) -> tuple[Any, str]:
    text = yaml12.decode(data)
    if text.lstrip().startswith(("{", "[")):
        try:
            return yaml12.load_json(text), "json"
        except json.JSONDecodeError:
            pass  # flow-style YAML starts with '{' or '[' too
    return yaml12.load(text), "yaml"


def parse(data: bytes) -> ResourceList:
    doc, fmt = parse_document(data)
    if not isinstance(doc, dict):
        raise InputError(f"expected a ResourceList (a YAML map), got {_describe(doc)}")
    kind, api = doc.get("kind"), doc.get("apiVersion")
    if kind != "ResourceList":
        raise InputError(f"expected kind ResourceList, got {kind!r}: krmfn reads a KRM ResourceList on stdin")
    if api not in API_VERSIONS:
        raise InputError(f"expected apiVersion {' or '.join(API_VERSIONS)}, got {api!r}")
    items = doc.get("items")
    if items is None:
        doc["items"] = []
    elif not isinstance(items, list):
        # Still a ResourceList: hand it back untouched with the error, so nothing is lost.
        raise InputError(f"ResourceList items must be a list, got {_describe(items)}", ResourceList(doc=doc, fmt=fmt))
    return ResourceList(doc=doc, fmt=fmt)


def _describe(value: Any) -> str:
    if value is None:
        return "an empty document"
    return {dict: "a map", list: "a list", str: "a string", bool: "a boolean"}.get(type(value), type(value).__name__)
