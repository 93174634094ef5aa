"""`krmfn check --format sarif`: the audit as a SARIF 2.1.0 log, for GitHub code scanning and
every other viewer that reads the OASIS format."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import yaml

from krmfn import __version__
from krmfn.audit import RULES, Hit, Report
from krmfn.sdk import objects
from krmfn.sdk.results import ERROR, INFO, WARNING

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
# SARIF has no "info": its lowest level that still shows is "note".
LEVELS = {ERROR: "error", WARNING: "warning", INFO: "note"}


def _uri(path: str) -> str:
    """A relative path stays relative, so a viewer resolves it against the checkout it runs in."""
    p = Path(path)
    return p.resolve().as_uri() if p.is_absolute() else quote(p.as_posix())


def _document_lines(path: str) -> list[int]:
    """The 1-based line where each YAML document's content starts: its root node, after `---` and comments."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []  # a kpt path relative to a package this process cannot see: no region then
    if text.lstrip().startswith(("{", "[")):
        return [text[: len(text) - len(text.lstrip())].count("\n") + 1]  # JSON: one document
    lines, opened = [], False
    try:
        # Events only: no value is built, so aliases cost nothing; the file already passed krmfn's loader.
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if opened:
                lines.append(event.start_mark.line + 1)
            opened = isinstance(event, yaml.DocumentStartEvent)
    except yaml.YAMLError:
        return []
    return lines


def _location(hit: Hit, lines: dict[str, list[int]]) -> dict:
    obj = hit.obj
    logical = {"name": objects.display_name(obj), "kind": "object"}
    if hit.finding.path:
        logical["fullyQualifiedName"] = f"{objects.display_name(obj)}: {hit.finding.path}"
    out: dict = {"logicalLocations": [logical]}
    file = objects.file_ref(obj)
    if file:
        physical: dict = {"artifactLocation": {"uri": _uri(file["path"])}}
        if file["path"] not in lines:  # read each file once, however many findings it holds
            lines[file["path"]] = _document_lines(file["path"])
        starts = lines[file["path"]]
        index = file.get("index", 0)
        if index < len(starts):
            physical["region"] = {"startLine": starts[index]}
        out["physicalLocation"] = physical
    return out


def _result(hit: Hit, index: int, lines: dict[str, list[int]]) -> dict:
    result = hit.result().to_dict()
    properties = {"severity": hit.severity, "resourceRef": result["resourceRef"], "found": hit.finding.found,
                  "fix": hit.finding.fix}
    if "field" in result:
        properties["field"] = result["field"]
    return {
        "ruleId": hit.rule.ID,
        "ruleIndex": index,
        "level": LEVELS[hit.severity],
        "message": {"text": hit.message},
        "locations": [_location(hit, lines)],
        "properties": properties,
    }


def _rule(rule, hits: list[Hit]) -> dict:
    # A rule's fix depends on what it found (`bind-address=*` for MySQL, `::` for MongoDB): its help
    # is the fixes this run proposed, which is why only the rules that found something are listed.
    fixes = list(dict.fromkeys(h.finding.fix for h in hits))
    return {
        "id": rule.ID,
        "shortDescription": {"text": rule.TITLE},
        "fullDescription": {"text": rule.WHY},
        "help": {"text": "\n".join(f"Fix: {f}" for f in fixes),
                 "markdown": "\n".join(f"* {f}" for f in fixes)},
        "defaultConfiguration": {"level": LEVELS[rule.SEVERITY]},
    }


def log(report: Report) -> dict:
    fired = [rule for rule in RULES.values() if any(h.rule is rule for h in report.hits)]
    index = {rule.ID: n for n, rule in enumerate(fired)}
    lines: dict[str, list[int]] = {}
    run: dict = {
        "tool": {"driver": {
            "name": "krmfn",
            "version": __version__,
            "rules": [_rule(rule, [h for h in report.hits if h.rule is rule]) for rule in fired],
        }},
        "results": [_result(h, index[h.rule.ID], lines) for h in report.hits],
        # The audit's own settings problems (an unknown rule id) are about the run, not the manifests.
        "invocations": [{
            "executionSuccessful": True,
            "toolConfigurationNotifications": [
                {"level": LEVELS[n.severity], "message": {"text": n.message}} for n in report.notes
            ],
        }],
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def dump(report: Report) -> str:
    return json.dumps(log(report), indent=2, ensure_ascii=False) + "\n"
