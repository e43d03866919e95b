"""Reading a JSON document from a file or standard input, with one clear message for every way it fails."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


class DocumentUnreadable(ValueError):
    """The file could not be read, is not UTF-8, or is not JSON; the message says which, where."""


def parse_json(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentUnreadable(f"not UTF-8 text (byte {exc.start})") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentUnreadable(
            f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    except (ValueError, RecursionError) as exc:  # e.g. an integer longer than Python converts, deep nesting
        raise DocumentUnreadable(f"not valid JSON ({exc})") from exc


def read_json(source: str) -> Any:
    """The document in the file `source`, or on standard input when `source` is "-"."""
    try:
        raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as exc:
        raise DocumentUnreadable(f"cannot read ({exc.strerror})") from exc
    return parse_json(raw)
