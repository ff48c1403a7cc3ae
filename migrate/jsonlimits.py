"""How deeply imported JSON may nest, and how large one record may be: one limit each for both importers.

A value nests as deep as its deepest chain of arrays and objects: `1` is 0 levels, `{}` is 1,
`{"album": {"images": [{}]}}` is 4. Spotify's own objects (a track with its album, artists and
images; a streaming record) are under 10 levels deep. A record or raw_json deeper than MAX_DEPTH is
rejected with its reason before any parser or encoder recurses into it: parsers built on recursion
fail at about 1,000 levels, and ijson's item builder needs memory growing with the square of the depth
(a 200 KB file of brackets, 100,000 deep, took 22.7 GB).

Likewise a record (a streaming record, a raw_json) may hold at most MAX_VALUES values, counted by
the commas between them: Spotify's hold under 100, and a parsed value takes up to about 100 bytes
whatever its size as text (`[],` is 3 bytes of text, 64 parsed), so one record stays under ~10 MB.
"""
from __future__ import annotations

import re

MAX_DEPTH = 64
TOO_DEEP = "too deeply nested"   # the reject's label
TOO_DEEP_DETAIL = f"nested more than {MAX_DEPTH} levels deep (arrays and objects)"
MAX_VALUES = 100_000
TOO_LARGE = "too large"
TOO_LARGE_DETAIL = f"more than {MAX_VALUES:,} values (numbers, strings, arrays, objects)"
# Read incrementally (files over 32 MB), a record's text may take at most this much: a parser holds
# a string or number whole until it ends, so one 1 GB string would take gigabytes. The reader cannot
# skip a token it has not finished, so such a file is unusable, not one rejected record.
MAX_RECORD_BYTES = 16 * 2**20

# A JSON string, escapes included (unrolled, so linear on long strings).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(i for i in range(256) if i not in b"[]{}")
_OPEN = frozenset(b"[{")


def text_too_deep(data: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether JSON text nests arrays and objects more than `limit` levels deep; brackets inside
    strings do not count. Usual data costs two `count`s: fewer brackets than the limit cannot nest
    deeper. An unclosed bracket counts as open (the text is invalid anyway)."""
    if data.count(b"{") + data.count(b"[") <= limit:
        return False
    depth = 0
    for c in _STRING.sub(b"", data).translate(None, _NOT_BRACKETS):
        if c in _OPEN:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def value_too_deep(value, limit: int = MAX_DEPTH) -> bool:
    """Whether a parsed value (dicts, lists, scalars) nests more than `limit` levels deep. Walks
    without recursion and stops at the first container past the limit."""
    if not isinstance(value, (dict, list)):
        return False
    stack = [(value, 1)]
    while stack:
        container, depth = stack.pop()
        if depth > limit:
            return True
        for child in (container.values() if isinstance(container, dict) else container):
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
    return False


def text_too_large(data: bytes, limit: int = MAX_VALUES) -> bool:
    """Whether JSON text holds more than `limit` values, counted by the commas between them outside
    strings. A value and its comma take 2 bytes or more: shorter text needs no count."""
    return (len(data) >= 2 * limit and data.count(b",") >= limit
            and _STRING.sub(b"", data).count(b",") >= limit)
