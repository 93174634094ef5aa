"""YAML as libyaml events: values built straight from the parser's events, values written as emitter events.

PyYAML's own path builds a Node graph on the way in and on the way out, and on a 10,000-object
ResourceList that graph costs more than parsing and emitting together (make bench). Here one
loop turns parser events into dicts, lists and scalars, and one walk turns values into emitter
events; libyaml does the text on both sides. Neither side recurses while reading, so depth is a
counted limit, not a crash; the alias-bomb limits are checked as aliases are attached, O(1) each.

Every alias gets its own copy of the anchored value: a transform that edits one object (a
Service's spec, say) must not edit another that only shared its text. Copies cost what the
alias budget allows and no more: aliases may repeat at most KRMFN_MAX_ALIAS_RATIO times the
input's size, counted as nodes plus scalar characters (Go's YAML decoder refuses "excessive
aliasing" the same way), so a few hundred bytes cannot turn into hundreds of megabytes.
"""
from __future__ import annotations

import io

import yaml
from yaml import (AliasEvent, DocumentEndEvent, DocumentStartEvent, MappingEndEvent, MappingStartEvent,
                  ScalarEvent, SequenceEndEvent, SequenceStartEvent, StreamEndEvent, StreamStartEvent)

from krmfn.sdk import yaml12
from krmfn.sdk.errors import InputError

_STR, _INT, _FLOAT, _MERGE = yaml12.STR, yaml12.INT, yaml12.FLOAT, yaml12.MERGE
_BOOL, _NULL = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"
_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_BOOLS = {"true": True, "false": False}

# Reading resolves plain scalars with the YAML 1.2 core table, first character first.
_TABLE = {k: [(rx, tag) for tag, rx in v] for k, v in yaml12.RESOLVE_12.yaml_implicit_resolvers.items()}
_FIRST = frozenset(k for k in _TABLE if k)
_MERGE_KEY = object()  # a plain `<<` where a key stands
_NO_KEY = object()


def _unsupported(tag: str, mark) -> InputError:
    return InputError(
        f"unsupported tag {tag!r} at line {mark.line + 1}: "
        "only plain YAML (maps, lists, strings, numbers, booleans, null) is accepted"
    )


def _scalar(ev):
    value, tag = ev.value, ev.tag
    if tag is None or tag == "!":
        if not ev.implicit[0] or (value and value[0] not in _FIRST):
            return value
        tag = next((t for rx, t in _TABLE.get(value[0] if value else "", ()) if rx.match(value)), _STR)
    if tag == _STR:
        return value
    if tag == _INT:
        return yaml12.integer(value, ev.start_mark.line + 1)
    if tag == _FLOAT:
        return yaml12.floating(value)
    if tag == _NULL:
        return None
    if tag == _BOOL:
        if value.lower() not in _BOOLS:
            raise InputError(f"{value[:40]!r} at line {ev.start_mark.line + 1} is not a YAML 1.2 boolean")
        return _BOOLS[value.lower()]
    if tag == _MERGE:
        return _MERGE_KEY if ev.implicit[0] else value
    raise _unsupported(tag, ev.start_mark)


def _merged(own: dict, merges: list, start_mark) -> dict:
    """A map with `<<` keys: merged maps first (earlier ones win), the map's own keys over them."""
    out: dict = {}
    for value, mark in merges:
        for sub in reversed(value) if isinstance(value, list) else [value]:
            if not isinstance(sub, dict):
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", start_mark, "expected a mapping or list of mappings for merging",
                    mark)
            out.update(sub)
    out.update(own)
    return out


class _Frame:
    """An open map or list while its events arrive."""

    __slots__ = ("value", "is_map", "key", "key_ev", "size", "chars", "anchor", "mark", "merges", "key_events")

    def __init__(self, is_map: bool, anchor, mark):
        self.value = {} if is_map else []
        self.is_map = is_map
        self.key = _NO_KEY
        self.key_ev = None
        self.size = 1
        self.chars = 0  # characters of the scalars inside: with size, what an alias to it repeats
        self.anchor = anchor
        self.mark = mark
        self.merges = None
        self.key_events = {} if is_map else None  # key -> the event that wrote it, for duplicate messages


def _too_many_nodes() -> InputError:
    return InputError(f"input expands to more than {yaml12.MAX_NODES} nodes (alias bomb?) (KRMFN_MAX_NODES)")


def _duplicate(key, frame: _Frame) -> InputError:
    key_ev, first = frame.key_ev, frame.key_events[key]
    same = ""
    if first.value != key_ev.value:
        # 1, 0x1 and true are one Python key: a map keeping only the last would lose the others.
        same = f" (the same key as {first.value!r} at line {first.start_mark.line + 1})"
    return InputError(
        f"duplicate key {key_ev.value!r} at line {key_ev.start_mark.line + 1}, "
        f"column {key_ev.start_mark.column + 1}{same}"
    )


def _attach(frame: _Frame, value, size: int, chars: int, ev, value_mark) -> None:
    frame.size += size
    frame.chars += chars
    if not frame.is_map:
        frame.value.append("<<" if value is _MERGE_KEY else value)
        if size > 1 and frame.size > yaml12.MAX_NODES:
            raise _too_many_nodes()
        return
    if frame.key is _NO_KEY:
        if value is _MERGE_KEY:
            frame.key = _MERGE_KEY
            return
        if isinstance(value, (dict, list)):
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", frame.mark, "found unhashable key", value_mark)
        frame.key, frame.key_ev = value, ev
        return
    key, frame.key = frame.key, _NO_KEY
    if value is _MERGE_KEY:
        value = "<<"
    if key is _MERGE_KEY:
        frame.merges = (frame.merges or []) + [(value, value_mark)]
        return
    if key in frame.value:
        raise _duplicate(key, frame)
    frame.value[key] = value
    frame.key_events[key] = frame.key_ev
    if frame.size > yaml12.MAX_NODES:
        raise _too_many_nodes()


def _anchor(anchors: dict, ev) -> None:
    if ev.anchor in anchors:
        raise yaml.composer.ComposerError(
            f"found duplicate anchor {ev.anchor!r}; first occurrence", anchors[ev.anchor][2],
            "second occurrence", ev.start_mark)


def _copy(value):
    """A fresh copy of an anchored map or list; scalars are immutable and shared as they are."""
    t = type(value)
    if t is dict:
        return {k: _copy(v) for k, v in value.items()}
    if t is list:
        return [_copy(v) for v in value]
    return value


class _AliasBudget:
    """What aliases may still repeat in this stream, in nodes plus scalar characters."""

    __slots__ = ("left", "limit")

    def __init__(self, text_length: int):
        # Small inputs get the allowance of a 64 KiB one: a hand-written file may reuse a block
        # many times, and tens of thousands of units cost nothing.
        self.limit = self.left = yaml12.MAX_ALIAS_RATIO * max(text_length, yaml12.ALIAS_FLOOR_CHARS)

    def spend(self, units: int) -> None:
        self.left -= units
        if self.left < 0:
            raise InputError(
                f"excessive aliasing (alias bomb?): aliases repeat more than {yaml12.MAX_ALIAS_RATIO} times the input's size "
                f"(more than {self.limit} nodes and characters) (KRMFN_MAX_ALIAS_RATIO)"
            )


def _document(get, budget: _AliasBudget) -> object:
    # anchor -> (value, expanded size, scalar characters, start mark, its ScalarEvent or None)
    anchors: dict = {}
    open_anchors: set = set()
    stack: list[_Frame] = []
    root = None
    while True:
        ev = get()
        cls = type(ev)
        if cls is ScalarEvent:
            value, size, chars, mark = _scalar(ev), 1, len(ev.value), ev.start_mark
            if ev.anchor is not None:
                _anchor(anchors, ev)
                anchors[ev.anchor] = (value, 1, chars, mark, ev)
        elif cls is MappingStartEvent or cls is SequenceStartEvent:
            if len(stack) >= yaml12.MAX_DEPTH:
                raise yaml12.too_deep()
            is_map = cls is MappingStartEvent
            if ev.tag not in (None, "!", _MAP if is_map else _SEQ):
                raise _unsupported(ev.tag, ev.start_mark)
            if ev.anchor is not None:
                _anchor(anchors, ev)
                open_anchors.add(ev.anchor)
            stack.append(_Frame(is_map, ev.anchor, ev.start_mark))
            continue
        elif cls is MappingEndEvent or cls is SequenceEndEvent:
            done = stack.pop()
            value, size, chars, mark = done.value, done.size, done.chars, done.mark
            if done.merges:
                value = _merged(value, done.merges, done.mark)
            if done.anchor is not None:
                open_anchors.discard(done.anchor)
                anchors[done.anchor] = (value, size, chars, mark, None)
            if size > yaml12.MAX_NODES:
                raise _too_many_nodes()
        elif cls is AliasEvent:
            if ev.anchor in open_anchors:
                raise InputError("recursive alias: a node contains an alias to itself")
            if ev.anchor not in anchors:
                raise yaml.composer.ComposerError(None, None, f"found undefined alias {ev.anchor!r}", ev.start_mark)
            value, size, chars, mark, scalar_ev = anchors[ev.anchor]
            budget.spend(size + chars)
            value = _copy(value)
            ev = scalar_ev or ev  # a scalar alias used as a key is named by its anchored text
        elif cls is DocumentEndEvent:
            return root
        else:
            raise yaml.composer.ComposerError(None, None, f"unexpected {cls.__name__}", ev.start_mark)
        if stack:
            _attach(stack[-1], value, size, chars, ev, mark)
        else:
            root = "<<" if value is _MERGE_KEY else value


def load_all(text: str) -> list:
    parser = yaml._yaml.CParser(text)
    get = parser.get_event
    budget = _AliasBudget(len(text))
    docs = []
    try:
        ev = get()
        if type(ev) is not StreamStartEvent:
            raise yaml.composer.ComposerError(None, None, "expected a stream start", ev.start_mark)
        while type(get()) is DocumentStartEvent:
            docs.append(_document(get, budget))
    finally:
        parser.dispose()
    return docs


# ---------------------------------------------------------------- writing

_UNION = yaml12.RESOLVE_UNION()
_implicit_cache: dict = {}
_INF = float("inf")
_MAP_START = MappingStartEvent(None, _MAP, True, flow_style=False)
_MAP_END = MappingEndEvent()
_SEQ_START = SequenceStartEvent(None, _SEQ, True, flow_style=False)
_SEQ_END = SequenceEndEvent()


def _implicit(tag: str, value: str) -> tuple[bool, bool]:
    """Whether a value may go out plain: only if no YAML 1.1 or 1.2 reader would take it for another type."""
    got = _implicit_cache.get((tag, value))
    if got is None:
        if len(_implicit_cache) > 200_000:
            _implicit_cache.clear()
        got = _implicit_cache[(tag, value)] = (
            tag == _UNION.resolve(yaml.ScalarNode, value, (True, False)),
            tag == _UNION.resolve(yaml.ScalarNode, value, (False, True)),
        )
    return got


def _float_text(value: float) -> str:
    if value != value:
        return ".nan"
    if value in (_INF, -_INF):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value).lower()
    return text.replace("e", ".0e", 1) if "." not in text and "e" in text else text


def _walker(emit):
    # One ScalarEvent refilled for every scalar: the C emitter copies what it needs from it.
    ev = ScalarEvent(None, _STR, (True, True), "", style=None)

    def scalar(tag: str, value: str, style=None):
        ev.tag, ev.value, ev.style = tag, value, style
        ev.implicit = _implicit_cache.get((tag, value)) or _implicit(tag, value)
        emit(ev)

    def walk(data):
        t = type(data)
        if t is str:
            # Literal blocks keep config files readable in output and diffs; the emitter adds an
            # indentation indicator for a leading space or break, and falls back to quotes where
            # a block cannot carry the text (trailing spaces before a break).
            scalar(_STR, data, "|" if "\n" in data else None)
        elif t is dict:
            emit(_MAP_START)
            for k, v in data.items():
                walk(k)
                walk(v)
            emit(_MAP_END)
        elif t is list:
            emit(_SEQ_START)
            for v in data:
                walk(v)
            emit(_SEQ_END)
        elif t is bool:
            scalar(_BOOL, "true" if data else "false")
        elif t is int:
            scalar(_INT, str(data))
        elif data is None:
            scalar(_NULL, "null")
        elif t is yaml12.Int:
            scalar(_INT, data.text)
        elif t is yaml12.Float:
            scalar(_FLOAT, data.text)
        elif t is float:
            scalar(_FLOAT, _float_text(data))
        else:
            raise TypeError(f"cannot write {type(data).__name__} as YAML")

    return walk


def dump_all(values, explicit_start: bool) -> str:
    out = io.StringIO()
    emitter = yaml._yaml.CEmitter(
        out, canonical=None, indent=None, width=1 << 30, allow_unicode=True, line_break=None,
        encoding=None, explicit_start=explicit_start, explicit_end=None, version=None, tags=None,
    )
    emit = emitter.emit
    walk = _walker(emit)
    emit(StreamStartEvent(encoding=None))
    for value in values:
        emit(DocumentStartEvent(explicit=explicit_start, version=None, tags=None))
        walk(value)
        emit(DocumentEndEvent(explicit=None))
    emit(StreamEndEvent())
    return out.getvalue()
