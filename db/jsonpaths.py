"""What a user types into the raw_json explorer, checked and normalised before it reaches SQL.

Pure functions (no database, no Streamlit): every problem is an `InputError` whose message can be
shown as it is. Values then travel to PostgreSQL as bound parameters, never inside the SQL text.

Key paths. The inventory (db/sql/explorer.sql) writes paths the way people read them:

    album.images[*].url          keys joined by dots, every array element as [*]
    album."release-date"         a key that is not a plain identifier is JSON-quoted
    [*].name                     (a payload that is itself an array)

`to_jsonpath()` turns that (or `album.images[0].url`, `$.album.*`) into the SQL/JSON path
`$.album.images[*].url`, quoting keys that need it: `$."release-date"`.

Containment (`raw_json @> doc`) takes a JSON object or array; a JSONPath filter (`@@` / `@?`) takes
PostgreSQL's jsonpath language, which PostgreSQL itself validates (query `jsonpath_check`).
"""
from __future__ import annotations

import decimal
import json
import re
from dataclasses import dataclass

MAX_PATH_CHARS = 1_000
MAX_PATH_SEGMENTS = 64
MAX_DOC_CHARS = 20_000
MAX_DOC_DEPTH = 64
MAX_JSONPATH_CHARS = 2_000

WILDCARD = "[*]"          # every element of an array
ANY_KEY = ".*"            # every member of an object

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_UNQUOTED_KEY = re.compile(r"[^\W\d]\w*")           # a Unicode identifier: café, ключ, _x1
_QUOTED_KEY = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_INDEX = re.compile(r"\[\s*(\*|\d{1,9})\s*\]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class InputError(ValueError):
    """User input that cannot be used; str(exc) is a friendly message to show as it is."""


def _short(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


def clean_text(text: str, what: str, max_chars: int) -> str:
    """`text` stripped; InputError when it holds NUL or unpaired surrogates or is longer than max_chars."""
    if not isinstance(text, str):
        raise InputError(f"The {what} must be text.")
    if "\x00" in text:
        raise InputError(f"The {what} contains a NUL character (\\x00), which PostgreSQL cannot hold; remove it.")
    if _SURROGATE.search(text):
        raise InputError(f"The {what} contains an unpaired UTF-16 surrogate, which is not valid Unicode.")
    if len(text) > max_chars:
        raise InputError(f"The {what} is {len(text):,} characters long; at most {max_chars:,} are accepted.")
    return text.strip()


# ---------------------------------------------------------------------------------------------
# Key paths


@dataclass(frozen=True)
class Segment:
    """One step of a key path: a member `key`, an array `index`, or a wildcard (`[*]` or `.*`)."""
    key: str | None = None
    index: int | None = None
    wildcard: str | None = None        # WILDCARD or ANY_KEY


def _quote_key(key: str) -> str:
    """`key` as a double-quoted string that JSON and SQL/JSON path both read back as `key`.

    Escaped exactly as PostgreSQL's to_json(text) escapes (so a typed path matches the inventory's).
    """
    return json.dumps(key, ensure_ascii=False)


def _decode_quoted(token: str, position: int) -> str:
    try:
        key = json.loads(token)
    except json.JSONDecodeError as exc:
        raise InputError(f"The quoted key at position {position + 1} is not a valid JSON string "
                         f"({exc.msg}).") from None
    if "\x00" in key:
        raise InputError("A key cannot contain the NUL character (\\u0000): PostgreSQL's jsonb never holds one.")
    if _SURROGATE.search(key):
        raise InputError("A quoted key contains an unpaired UTF-16 surrogate, which is not valid Unicode.")
    return key


def parse_path(text: str) -> list[Segment]:
    """The segments of a key path such as `album.images[*].url`; InputError when it is not one.

    Accepted: plain keys (Unicode identifiers), JSON-quoted keys (`"release-date"`), `[*]`, `[0]`,
    `.*`, with an optional leading `$` or `$.`; no spaces outside quotes.
    """
    text = clean_text(text, "path", MAX_PATH_CHARS)
    if not text:
        raise InputError("Type a key path such as album.images[*].url, or pick one from the list.")
    pos = 0
    if text.startswith("$"):
        pos = 1
    segments: list[Segment] = []
    first = True
    while pos < len(text):
        ch = text[pos]
        if ch == "[":
            m = _INDEX.match(text, pos)
            if not m:
                raise InputError(f"At position {pos + 1}: an array step is [*] or a whole number such as [0].")
            segments.append(Segment(wildcard=WILDCARD) if m.group(1) == "*" else Segment(index=int(m.group(1))))
            pos = m.end()
        else:
            if ch == ".":
                pos += 1
            elif not (first and pos == 0):
                raise InputError(f"At position {pos + 1}: expected '.' or '[' before {_short(text[pos:], 20)}. "
                                 'Quote keys with spaces or punctuation: album."my key".')
            if pos >= len(text):
                raise InputError("The path ends with '.'; a key should follow it.")
            if text[pos] == "*":
                segments.append(Segment(wildcard=ANY_KEY))
                pos += 1
            elif text[pos] == '"':
                m = _QUOTED_KEY.match(text, pos)
                if not m:
                    raise InputError(f"At position {pos + 1}: the quoted key is never closed (missing \").")
                segments.append(Segment(key=_decode_quoted(m.group(0), pos)))
                pos = m.end()
            else:
                m = _UNQUOTED_KEY.match(text, pos)
                if not m:
                    bad = text[pos]
                    raise InputError(f"At position {pos + 1}: {bad!r} cannot start a key. "
                                     'Quote keys with spaces or punctuation: album."my key".')
                segments.append(Segment(key=m.group(0)))
                pos = m.end()
        first = False
        if len(segments) > MAX_PATH_SEGMENTS:
            raise InputError(f"The path has more than {MAX_PATH_SEGMENTS} steps.")
    if not segments:
        raise InputError("The path is only '$'; name a key, such as album.name.")
    return segments


def display_path(segments: list[Segment]) -> str:
    """Segments written the inventory's way: `album.images[*].url`, `album."release-date"`."""
    out = []
    for seg in segments:
        if seg.wildcard == WILDCARD:
            out.append("[*]")
        elif seg.wildcard == ANY_KEY:
            out.append(".*")
        elif seg.index is not None:
            out.append(f"[{seg.index}]")
        else:
            out.append("." + (seg.key if _IDENT.fullmatch(seg.key) else _quote_key(seg.key)))
    text = "".join(out)
    return text.removeprefix(".")


def jsonpath_of(segments: list[Segment]) -> str:
    """The SQL/JSON path selecting `segments` from a payload's root."""
    return "$" + "".join(
        "[*]" if s.wildcard == WILDCARD else ".*" if s.wildcard == ANY_KEY
        else f"[{s.index}]" if s.index is not None
        else "." + (s.key if _IDENT.fullmatch(s.key) else _quote_key(s.key))
        for s in segments)


def to_jsonpath(text: str) -> str:
    """`album.images[*].url` -> `$.album.images[*].url` (bind it; never format it into SQL)."""
    return jsonpath_of(parse_path(text))


def normalise_path(text: str) -> str:
    """The inventory spelling of a typed path (`$.album."name"` -> `album.name`)."""
    return display_path(parse_path(text))


# ---------------------------------------------------------------------------------------------
# Containment


def _reject_constant(name: str):
    raise InputError(f"{name} is not JSON (JavaScript allows it, JSON does not); use a number or null.")


def _json_type(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    return {dict: "object", list: "array", str: "string", type(None): "null"}.get(type(value), "number")


def _check_values(doc) -> None:
    """Depth, NUL and surrogates anywhere in a parsed document (iteratively: no recursion limit)."""
    stack = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DOC_DEPTH:
            raise InputError(f"The JSON is nested more than {MAX_DOC_DEPTH} levels deep; nothing in raw_json is.")
        if isinstance(value, dict):
            for k, v in value.items():
                _check_string(k)
                stack.append((v, depth + 1))
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
        elif isinstance(value, str):
            _check_string(value)


def _check_string(s: str) -> None:
    if "\x00" in s:
        raise InputError('The JSON contains "\\u0000" (the NUL character). PostgreSQL\'s jsonb cannot hold it, '
                         "so no track can contain it; remove it.")
    if _SURROGATE.search(s):
        raise InputError("The JSON contains an unpaired UTF-16 surrogate (such as \\ud800), which PostgreSQL "
                         "refuses; pair it or remove it.")


def parse_containment(text: str) -> str:
    """The JSON text to bind for `raw_json @> cast(:doc as jsonb)`; InputError when it is unusable.

    Must be a JSON object or array. The text goes to PostgreSQL as the user wrote it (PostgreSQL
    parses it again; its numbers are exact decimals, so nothing is lost to a Python float).
    """
    text = clean_text(text, "JSON", MAX_DOC_CHARS)
    if not text:
        raise InputError('Type a JSON object to look for, such as {"explicit": true}.')
    try:
        # integers as Decimal: Python refuses to turn more than 4,300 digits into an int (a ValueError
        # that is not a JSONDecodeError); PostgreSQL's numeric takes them
        doc = json.loads(text, parse_constant=_reject_constant, parse_int=decimal.Decimal)
    except json.JSONDecodeError as exc:
        hint = (" Keys and strings need double quotes." if "'" in text or "property name" in exc.msg else "")
        raise InputError(f"That is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).{hint}") from None
    except RecursionError:
        raise InputError(f"The JSON is nested more than {MAX_DOC_DEPTH} levels deep; nothing in raw_json is.") from None
    if not isinstance(doc, (dict, list)):
        raise InputError(f'Containment needs a JSON object or array, such as {{"explicit": true}}; this is a '
                         f"JSON {_json_type(doc)}.")
    _check_values(doc)
    return text


# ---------------------------------------------------------------------------------------------
# JSONPath filters

_JSONPATH_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_PREDICATE_AT_TOP = re.compile(
    r"==|!=|<>|<=|>=|<|>|&&|\|\||!|\blike_regex\b|\bstarts\s+with\b|\bexists\s*\(|\bis\s+unknown\b")

OPERATOR_MATCH = "@@"       # the jsonpath is a predicate: raw_json @@ '$.popularity > 80'
OPERATOR_EXISTS = "@?"      # the jsonpath selects something: raw_json @? '$.album.images[*] ? (@.width > 600)'


def check_jsonpath(text: str) -> str:
    """The JSONPath text, stripped, after the checks Python can make (PostgreSQL checks the syntax)."""
    text = clean_text(text, "JSONPath", MAX_JSONPATH_CHARS)
    if not text:
        raise InputError('Type a JSONPath, such as $.popularity > 80 or $.album.release_date like_regex "^199".')
    return text


def jsonpath_operator(text: str) -> str:
    """`@@` when the JSONPath is a predicate at its top level, else `@?` (does the path select anything).

    Filters `? (...)` hold comparisons too, so only what is outside them counts: `$.a ? (@ > 1)` is a
    path (`@?`), `$.a > 1` and `exists($.a ? (@ > 1))` are predicates (`@@`).
    """
    stripped = _JSONPATH_STRING.sub('""', text)
    top, depth, filter_depths = [], 0, []
    i = 0
    while i < len(stripped):
        ch = stripped[i]
        if ch == "(":
            before = stripped[:i].rstrip()
            if before.endswith("?"):
                filter_depths.append(depth)
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
            if filter_depths and filter_depths[-1] == depth:
                filter_depths.pop()
                i += 1
                continue
        if not filter_depths:
            top.append(ch)
        i += 1
    outside = "".join(top).replace("?", " ")
    return OPERATOR_MATCH if _PREDICATE_AT_TOP.search(outside) else OPERATOR_EXISTS


# ---------------------------------------------------------------------------------------------
# Track lookup


def like_contains(text: str) -> str:
    """A LIKE pattern (escape character backslash) matching `text` anywhere, wildcards taken literally."""
    text = clean_text(text, "search", 300)
    return "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"


# ---------------------------------------------------------------------------------------------
# Errors from PostgreSQL about the user's input


def user_error(exc: BaseException) -> str | None:
    """A friendly message when PostgreSQL refused the user's JSON or JSONPath, else None.

    Timeouts and outages are not the user's input: they return None and ui.common.guard explains them.
    """
    if isinstance(exc, UnicodeDecodeError):
        # PostgreSQL's jsonpath scanner quotes `1.5é` back cut inside the é (one byte of its two), so the
        # message jsonpath_check returns is not valid UTF-8 and psycopg2 cannot read it.
        return ("PostgreSQL refused that input, and its explanation could not be read: this happens when a "
                "number is followed directly by a non-ASCII character, such as 1.5é. Check the numbers in it.")
    try:
        import psycopg2.errors as pg
    except ImportError:  # pragma: no cover
        return None
    orig = getattr(exc, "orig", exc)
    if isinstance(orig, pg.QueryCanceled) or not isinstance(orig, (pg.DataError, pg.SyntaxError,
                                                                   pg.UndefinedObject)):
        return None
    detail = (getattr(getattr(orig, "diag", None), "message_primary", None) or str(orig)).strip()
    detail = detail.splitlines()[0] if detail else type(orig).__name__
    if isinstance(orig, (pg.SyntaxError, pg.UndefinedObject)) and "jsonpath" not in detail:
        return None   # our own SQL: a bug to surface, not the user's input
    if isinstance(orig, pg.UndefinedObject):   # `$x` / `$0` is valid syntax, but the explorer passes no variables
        return (f"PostgreSQL refused that input: {detail[:300]}. The explorer passes no JSONPath variables, so a "
                'path starts with $. or $[ (quote an odd key: $."0").')
    if isinstance(orig, pg.UntranslatableCharacter):
        return ("PostgreSQL cannot hold the NUL character (\\u0000) in jsonb or jsonpath, so no track "
                "contains it; remove it.")
    return f"PostgreSQL refused that input: {detail[:300]}."
