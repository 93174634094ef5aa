"""Edits that adapters make, to a Helm values document or to a rendered object alike."""
from __future__ import annotations

import copy
import re
from typing import Any

from krmfn.adapters.model import Op
from krmfn.sdk import paths, yaml12


def expand(value: Any, env: dict[str, Any]) -> Any:
    """Fill {release}, {primary}, ... into strings; a string that is only '{name}' takes the value itself."""
    if isinstance(value, str):
        m = re.fullmatch(r"\{(\w+)\}", value)
        if m and m.group(1) in env:
            return copy.deepcopy(env[m.group(1)])
        return re.sub(r"\{(\w+)\}", lambda mm: str(env.get(mm.group(1), mm.group(0))), value)
    if isinstance(value, dict):
        return {expand(k, env): expand(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [expand(v, env) for v in value]
    return value


def merge_args(current: str, extra: str) -> str:
    """Merge command-line flags: a flag already present gets the new arguments in place, others are appended.

    A flag's group is the flag and the words after it up to the next flag; `-kernel inetrc X`
    and `-kernel other Y` are different groups (keyed by flag and first word), so Erlang's
    repeated `-kernel` settings are kept apart.

    Words are split on white space and kept verbatim: these strings reach the program through an
    unquoted shell expansion (`erl ... ${RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS}`, bitnami's
    `read -r -a` of *_EXTRA_FLAGS), which splits words but removes no quotes, so quotes belong
    to the argument (`-kernel inetrc '/path'` hands erl the quoted atom it needs).
    """

    def groups(text: str) -> list[list[str]]:
        out: list[list[str]] = []
        for word in text.split():
            if word.startswith(("-", "+")) or not out:
                out.append([word])
            else:
                out[-1].append(word)
        return out

    def key(group: list[str]) -> tuple[str, ...]:
        return tuple(group[:2]) if len(group) > 2 else (group[0],)

    merged = groups(current)
    for g in groups(extra):
        idx = next((i for i, have in enumerate(merged) if key(have) == key(g)), None)
        if idx is None:
            merged.append(g)
        else:
            merged[idx] = g
    return " ".join(" ".join(g) for g in merged)


def merge_yaml(base: Any, extra: dict) -> dict:
    """`extra` deep-merged over `base`, the way Helm merges values and yq's `*` merges files."""
    out = dict(base) if isinstance(base, dict) else {}
    for k, v in extra.items():
        out[k] = merge_yaml(out.get(k), v) if isinstance(v, dict) else v
    return out


def apply(doc: dict, op: Op, env: dict[str, Any]) -> bool:
    """Apply one op; True when the document changed."""
    path = expand(op.path, env)
    before = paths.get(doc, path)
    if op.delete:
        return paths.delete(doc, path)
    if op.set is not None:
        after = expand(op.set, env)
    elif op.append is not None:
        after = list(before) if isinstance(before, list) else []
        after += [item for item in expand(op.append, env) if item not in after]
    elif op.mergeYaml is not None:
        text = before if isinstance(before, str) else expand(op.default, env)
        current = yaml12.load(text) if text else {}
        merged = merge_yaml(current, expand(op.mergeYaml, env))
        if merged == current:
            return False
        after = yaml12.dump(merged)
    else:
        text = before if isinstance(before, str) else expand(op.default, env)
        if text is None:
            return False
        if op.replace is not None:
            for r in op.replace:
                text = re.sub(expand(r.pattern, env), expand(r.replacement, env), text, count=0 if r.count == "all" else 1)
            after = text
        else:
            after = merge_args(text, expand(op.mergeArgs, env))
    if before == after:
        return False
    paths.set(doc, path, after)
    return True
