"""What an edit does to one value, the same on a rendered object and on a Helm values overlay.

Each op says what it means (ensure a config line, set an env entry, merge flags) and works on
the structure it names; no op builds a pattern from its input, so no input can make one slow.
"""
from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from krmfn.sdk import yaml12

if TYPE_CHECKING:
    from krmfn.adapters.model import Edit, Line, Twin, UrlHost

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w.]*)\}")


def expand(value: Any, env: dict[str, Any]) -> Any:
    """Fill {release}, {primary}, ... into strings; a string that is only '{name}' takes the value itself.

    Names not in env stay as written, so Helm's `{{ ... }}` and Erlang's `{inet6, true}.` pass.
    """
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value)
        if whole and whole.group(1) in env:
            return copy.deepcopy(env[whole.group(1)])
        return _PLACEHOLDER.sub(lambda m: str(env[m.group(1)]) if m.group(1) in env else m.group(0), value)
    if isinstance(value, dict):
        return {expand(k, env): expand(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [expand(v, env) for v in value]
    return value


def merge_args(current: str, extra: str) -> str:
    """Merge command-line flags: a flag already present gets the new arguments in place, others are appended.

    A flag's group is the flag and the words after it up to the next flag; `-kernel inetrc X`
    and `-kernel other Y` are different groups (keyed by flag and first word), so Erlang's
    repeated `-kernel` settings are kept apart. A lone `-Dname=value` (`--flag=value`) is keyed by
    its name: `-Djava.net.preferIPv6Addresses=false` is the setting `=true` replaces.

    Words are split on white space and kept verbatim: these strings reach the program through an
    unquoted shell expansion (`erl ... ${RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS}`, bitnami's
    `read -r -a` of *_EXTRA_FLAGS), which splits words but removes no quotes, so quotes belong
    to the argument (`-kernel inetrc '/path'` hands erl the quoted atom it needs).
    """
    merged = arg_groups(current)
    for g in arg_groups(extra):
        same = [i for i, have in enumerate(merged) if _arg_key(have) == _arg_key(g)]
        if not same:
            merged.append(g)
            continue
        # In place of the first; a later repeat would win over it (the JVM's last -D wins), so it goes.
        merged[same[0]] = g
        for i in reversed(same[1:]):
            del merged[i]
    return " ".join(" ".join(g) for g in merged)


def arg_groups(text: str) -> list[list[str]]:
    out: list[list[str]] = []
    for word in text.split():
        if word.startswith(("-", "+")) or not out:
            out.append([word])
        else:
            out[-1].append(word)
    return out


def _arg_key(group: list[str]) -> tuple[str, ...]:
    # `-Dname=value` / `--flag=value`: one setting whatever its value, keyed by what precedes the `=`.
    if len(group) == 1 and group[0].startswith("-") and "=" in group[0]:
        return (group[0].split("=", 1)[0] + "=",)
    return tuple(group[:2]) if len(group) > 2 else (group[0],)


def merge_yaml(base: Any, extra: dict) -> dict:
    """`extra` deep-merged over `base`, the way Helm merges values and yq's `*` merges files."""
    out = dict(base) if isinstance(base, dict) else {}
    for k, v in extra.items():
        out[k] = merge_yaml(out.get(k), v) if isinstance(v, dict) else v
    return out


# ---------------------------------------------------------------- config lines


def line_key(line: str, keys: set[str], sep: str = "=") -> tuple[str, str] | None:
    """(key, value) when the line assigns one of keys (`key = value`, or `key value` for sep ' ')."""
    body = line.strip()
    if not body or body.startswith(("#", ";", "[")):
        return None
    if sep.strip():
        key, found, value = body.partition(sep.strip())
    else:
        key, _, value = body.partition(" ")
        found = key in keys
    if not found:
        return None
    key = key.strip()
    return (key, value.strip()) if key in keys else None


def assignments(text: str, keys: set[str], sep: str = "=") -> list[str]:
    """Every value the text assigns to one of keys, in order."""
    return [kv[1] for kv in (line_key(line, keys, sep) for line in text.splitlines()) if kv]


def ensure_line(text: str, spec: Line) -> str:
    """Every line of the key says the value; without one, a line is added (under its section)."""
    if spec.unlessEmpty and not text.strip():
        return text
    keys = {spec.key, *spec.spellings}
    mark = spec.sep.strip() or " "
    lines = text.split("\n")
    found = False
    for i, line in enumerate(lines):
        if line_key(line, keys, spec.sep) is None:
            continue
        found = True
        # The line's own spelling and spacing stay; only the value after the separator changes.
        head, _, tail = line.partition(mark) if mark != " " else (line.rstrip().split(" ", 1)[0], " ", "")
        value = spec.value if spec.option is None else set_option(tail.strip(), spec.option, spec.value)
        lines[i] = f"{head}{mark}{tail[: len(tail) - len(tail.lstrip())]}{value}"
    if found:
        return "\n".join(lines)
    if spec.ifKey and not assignments(text, {spec.ifKey}, spec.sep):
        return text
    new = f"{spec.key}{spec.sep}{spec.value if spec.option is None else set_option('', spec.option, spec.value)}"
    if spec.section:
        header = next((i for i, line in enumerate(lines) if line.strip() == f"[{spec.section}]"), None)
        if header is not None:
            lines.insert(header + 1, new)
            return "\n".join(lines)
        new = f"[{spec.section}]\n{new}"
    return ensure_text(text, new)


def set_option(value: str, name: str, setting: str) -> str:
    """A `;`-separated option list (`"a=1;b=2"`, quoted or not) with option name saying setting: in place, else
    appended. The other options, their order and the quotes stay; a new list is double-quoted."""
    quote = value[0] if len(value) > 1 and value[0] in "'\"" and value[-1] == value[0] else ""
    inner = value[1:-1] if quote else value
    items = [item for item in inner.split(";") if item.strip()]
    found = False
    for i, item in enumerate(items):
        if item.split("=", 1)[0].strip() == name:
            items[i], found = f"{name}={setting}", True
    if not found:
        items.append(f"{name}={setting}")
    quote = quote or ('"' if not value else "")
    return f"{quote}{';'.join(items)}{quote}"


def ensure_text(text: str, block: str) -> str:
    """The text with block's lines after its last line, unless they are there already, in order."""
    if block in text:
        return text
    body = text.rstrip("\n")
    trailing = text[len(body):]
    return f"{body}\n{block}{trailing}" if body else block + trailing


# ---------------------------------------------------------------- URLs


def url_parts(url: str) -> tuple[str, str, str] | None:
    """(scheme://, host, rest) of a URL such as `http://[::]:2379`, or None."""
    scheme, sep, after = url.strip().partition("://")
    if not sep:
        return None
    end = after.find("/")
    authority, path = (after, "") if end < 0 else (after[:end], after[end:])
    if authority.startswith("["):
        close = authority.find("]")
        if close < 0:
            return None
        host, port = authority[: close + 1], authority[close + 1:]
    else:
        host, colon, port = authority.rpartition(":")
        if not colon or not port.isdigit():
            host, port = authority, ""
        else:
            port = ":" + port
    return scheme + "://", host, port + path


def url_host(text: str, spec: UrlHost) -> str:
    out = []
    for url in text.split(","):
        parts = url_parts(url)
        if parts and parts[1] == spec.host:
            lead = url[: len(url) - len(url.lstrip())]
            url = f"{lead}{parts[0]}{spec.to}{parts[2]}"
        out.append(url)
    return ",".join(out)


# ---------------------------------------------------------------- host-based authentication rules

# pg_hba.conf (and pgpool's pool_hba.conf) rules that name a client address; `local` rules name none.
HOST_TYPES = frozenset({"host", "hostssl", "hostnossl", "hostgssenc", "hostnogssenc"})


def hba_fields(line: str) -> list[tuple[int, int, str]]:
    """(start, end, text) of each field of a pg_hba.conf line, the way PostgreSQL splits it: at spaces
    outside double quotes ("my user" is one field, quotes kept), up to a `#` outside quotes."""
    out: list[tuple[int, int, str]] = []
    start, quoted = None, False
    for i, ch in enumerate(line + " "):
        if ch == '"':
            quoted = not quoted
        if not quoted and (ch.isspace() or ch == "#"):
            if start is not None:
                out.append((start, i, line[start:i]))
                start = None
            if ch == "#":
                break
        elif start is None:
            start = i
    return out


def hba_rules(text: str) -> list[tuple[int, list[str]]]:
    """(line index, fields) of every host rule: connection type, databases, users, address, method and
    its options, comments dropped."""
    out = []
    for i, line in enumerate(text.split("\n")):
        fields = [f for _, _, f in hba_fields(line)]
        if len(fields) >= 5 and fields[0] in HOST_TYPES:
            out.append((i, fields))
    return out


def _rule_key(fields: list[str], address: str) -> tuple[str, ...]:
    return (*fields[:3], address, *fields[4:])


def missing_twins(text: str, source: str, to: str) -> list[int]:
    """Line numbers (from 1) of the host rules for address `source` that have no rule for `to` with the
    same type, databases, users, method and options."""
    rules = hba_rules(text)
    have = {_rule_key(f, f[3]) for _, f in rules}
    return [i + 1 for i, f in rules if f[3] == source and _rule_key(f, to) not in have]


def twin_rules(text: str, spec: Twin) -> str:
    """Each host rule for address spec.source followed by the same rule for spec.to, unless the text has
    that rule already. Rules are matched in order and the first match wins, so the twin right after its
    rule keeps the meaning of the file for every client of the other family, and the rest stays line for
    line."""
    lines = text.split("\n")
    rules = hba_rules(text)
    have = {_rule_key(f, f[3]) for _, f in rules}
    for i, fields in reversed(rules):  # from the bottom, so an inserted line moves no rule still to come
        key = _rule_key(fields, spec.to)
        if fields[3] != spec.source or key in have:
            continue
        start, end, _ = hba_fields(lines[i])[3]
        # Keep the columns: the shorter address is padded where spaces follow it.
        address = spec.to.ljust(end - start) if lines[i][end:end + 1].isspace() else spec.to
        lines.insert(i + 1, lines[i][:start] + address + lines[i][end:])
        have.add(key)
    return "\n".join(lines)


# ---------------------------------------------------------------- one edit


def set_env(current: Any, name: str, value: str) -> list:
    """The env list with entry `name` saying value: edited in place, or added; never a second one."""
    env = [copy.deepcopy(e) for e in current] if isinstance(current, list) else []
    for entry in env:
        if isinstance(entry, dict) and entry.get("name") == name:
            entry.pop("valueFrom", None)
            entry["value"] = value
            return env
    env.append({"name": name, "value": value})
    return env


def apply(current: Any, edit: Edit, env: dict[str, Any]) -> Any:
    """The value after the edit (the same object when nothing changes)."""
    if edit.set is not None:
        return expand(edit.set, env)
    if edit.fill is not None:
        return expand(edit.fill, env) if current in (None, "") else current
    if edit.setEnv is not None:
        return set_env(current, expand(edit.setEnv.name, env), expand(edit.setEnv.value, env))
    if edit.append is not None:
        out = list(current) if isinstance(current, list) else []
        return out + [item for item in expand(edit.append, env) if item not in out]
    if edit.mergeYaml is not None:
        extra = expand(edit.mergeYaml, env)
        if isinstance(current, str):
            parsed = yaml12.load(current) if current.strip() else {}
            if not isinstance(parsed, dict):
                raise ValueError(f"the text is YAML {type(parsed).__name__}, not a map to merge into")
            merged = merge_yaml(parsed, extra)
            return current if merged == parsed else yaml12.dump(merged)
        return merge_yaml(current, extra)
    if edit.mergeArgs is not None:
        # A missing variable is an empty one: the flags are the whole value then.
        return merge_args(current if isinstance(current, str) else "", expand(edit.mergeArgs, env))
    if not isinstance(current, str):
        return current  # a missing or non-text value: there is no config text to edit
    if edit.ensureLine is not None:
        return ensure_line(current, edit.ensureLine.model_copy(update={"value": expand(edit.ensureLine.value, env)}))
    if edit.ensureText is not None:
        return ensure_text(current, expand(edit.ensureText, env))
    if edit.twinRules is not None:
        return twin_rules(current, edit.twinRules)
    return url_host(current, edit.urlHost)
