"""Reading a JSON document from a file, standard input or a request body: the one reader every entry point
uses (the CLI commands, the API, the rule editor). Whatever the bytes, it answers with the document or a
DocumentUnreadable that names a path ("document" for the whole) and what is wrong, never another error.

Refused, so that no later step (the validator, the database, json.dumps) meets them:
- more than DOCUMENT_MAX_BYTES bytes (the API refuses larger bodies earlier, with 413);
- bytes that are not UTF-8, and a UTF-8 byte-order mark: a document is UTF-8 without BOM, so a file saved
  "with BOM" is named as such rather than read differently from the API;
- nesting deeper than DEPTH_MAX levels, counted on the text before parsing (so the parser never recurses
  far);
- a key repeated in one object (JSON leaves it undefined which value wins; we refuse to guess);
- NaN, Infinity, a float beyond the double range (1e400) and an integer of more than INTEGER_DIGITS_MAX
  digits: none is a finite value JSON can carry on;
- a NUL character or a lone UTF-16 surrogate in any string or key: no database can store them.
"""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path
from typing import Any

from screening.intake import unstorable_text

DOCUMENT_MAX_BYTES = 4 * 1024 * 1024  # far above any intake, rule set or formulary; the API allows 1 MiB
DEPTH_MAX = 20  # the intake contract's limit; an intake nests 4 levels, a rule set 12
INTEGER_DIGITS_MAX = 20  # every count and measure in a document has a handful; Python stops at 4,300
UTF8_BOM = b"\xef\xbb\xbf"
# A JSON string (so its brackets are not counted as nesting), and the brackets themselves.
JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
BRACKET = re.compile(rb"[\[\]{}]")
KEY_SHOWN_MAX = 40


class DocumentUnreadable(ValueError):
    """The document could not be read, is not UTF-8 or not JSON, or holds what no later step can carry.

    `path` is where ("document" for the whole, None when the file itself could not be read), `message`
    what; `code` names the kind for a caller that words it its own way (the rule editor)."""

    def __init__(self, message: str, *, path: str | None = "document", code: str = "unreadable"):
        self.message, self.path, self.code = message, path, code
        super().__init__(f"{path}: {message}" if path else message)


def parse_json(raw: bytes, *, max_depth: int = DEPTH_MAX, max_bytes: int = DOCUMENT_MAX_BYTES) -> Any:
    """The document in `raw`, or DocumentUnreadable naming the first thing that is wrong and where."""
    if len(raw) > max_bytes:
        raise DocumentUnreadable(f"larger than {max_bytes} bytes", code="size")
    if raw.startswith(UTF8_BOM):
        raise DocumentUnreadable(
            "starts with a byte-order mark (BOM); save it as UTF-8 without BOM", code="utf8"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentUnreadable(f"not UTF-8 text (byte {exc.start})", code="utf8") from exc
    if "\x00" in text:
        raise DocumentUnreadable("contains a NUL character", code="nul")
    _check_depth(raw, max_depth)
    try:
        value = json.loads(
            text,
            object_pairs_hook=_object,
            parse_constant=_constant,
            parse_int=_integer,
            parse_float=_float,
        )
    except json.JSONDecodeError as exc:
        raise DocumentUnreadable(
            f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})", code="syntax"
        ) from exc
    except (ValueError, RecursionError) as exc:  # not expected after the checks above; still a rejection
        raise DocumentUnreadable(f"not valid JSON ({type(exc).__name__})", code="syntax") from exc
    _check_values(value)
    return value


def read_json(source: str, **limits: int) -> Any:
    """The document in the file `source`, or on standard input when `source` is "-"."""
    try:
        raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as exc:
        raise DocumentUnreadable(f"cannot read ({exc.strerror})", path=None, code="io") from exc
    return parse_json(raw, **limits)


def _check_depth(raw: bytes, max_depth: int) -> None:
    """Count the nesting on the text, outside strings, before the (recursive) parser sees it. UTF-8 never
    puts an ASCII byte inside a multi-byte character, so counting bytes is exact."""
    depth = 0
    for match in BRACKET.finditer(JSON_STRING.sub(b"", raw)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                raise DocumentUnreadable(f"nested more than {max_depth} levels deep", code="depth")
        else:
            depth -= 1


class _Refused:
    """A value the parser met that the document may not hold; reported with its path after parsing."""

    def __init__(self, message: str, code: str):
        self.message, self.code = message, code


class _RepeatedKey(dict):
    repeated: str


def _object(pairs: list[tuple[str, Any]]) -> dict:
    value = dict(pairs)
    if len(value) == len(pairs):
        return value
    seen: set[str] = set()
    repeated = next(key for key, _ in pairs if key in seen or seen.add(key))
    marked = _RepeatedKey(value)
    marked.repeated = repeated
    return marked


def _constant(name: str) -> _Refused:
    return _Refused(f"{name} is not a finite number", "not_finite")


def _integer(digits: str) -> int | _Refused:
    if len(digits.lstrip("-")) > INTEGER_DIGITS_MAX:
        return _Refused(
            f"an integer of {len(digits.lstrip('-'))} digits is out of range "
            f"(at most {INTEGER_DIGITS_MAX} digits)",
            "number",
        )
    return int(digits)


def _float(text: str) -> float | _Refused:
    value = float(text)
    if math.isfinite(value):
        return value
    return _Refused(f"{text[:KEY_SHOWN_MAX]} is too large to be a finite number", "not_finite")


def _key_path(path: str, key: str) -> str:
    plain = key and key.isprintable() and unstorable_text(key) is None and not set(key) & set(".[]'\"")
    shown = key if plain else ascii(key)
    if len(shown) > KEY_SHOWN_MAX:
        shown = shown[:KEY_SHOWN_MAX] + "..."
    return f"{path}.{shown}" if path else shown


def _check_values(value: Any) -> None:
    """Walk the parsed document in order (a loop: no recursion) and refuse the first value it may not hold,
    by its path: a repeated key, a number that is not finite or too long, text a database cannot store."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, path = stack.pop()
        where = path or "document"
        if isinstance(item, _Refused):
            raise DocumentUnreadable(item.message, path=where, code=item.code)
        if isinstance(item, str):
            problem = unstorable_text(item)
            if problem:
                raise DocumentUnreadable(problem, path=where, code="text")
        elif isinstance(item, dict):
            if isinstance(item, _RepeatedKey):
                raise DocumentUnreadable(
                    "this key appears more than once in its object",
                    path=_key_path(path, item.repeated),
                    code="repeated_key",
                )
            children = []
            for key, child in item.items():
                problem = unstorable_text(key)
                if problem:
                    raise DocumentUnreadable(f"a key {problem}", path=_key_path(path, key), code="text")
                children.append((child, _key_path(path, key)))
            stack.extend(reversed(children))
        elif isinstance(item, list):
            stack.extend(reversed([(child, f"{where}[{i}]") for i, child in enumerate(item)]))
