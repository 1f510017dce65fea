"""Helpers every reader shares: missing values, keys, lists, weekdays, JSON and error rows."""

from __future__ import annotations

import json
import math
import re
from typing import TYPE_CHECKING
from typing import Any

from domain.schedule import day_number
from ingest.records import KINDS
from ingest.records import IngestError

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path


#: Cell texts that mean "no value" (compared after stripping, case-insensitively).
MISSING_TEXTS = frozenset(("", "na", "n/a", "#n/a"))
LONGEST_MISSING = max(map(len, MISSING_TEXTS))


_KEY_SEPARATORS = re.compile(r"[\s_\-./]+")
_LIST_SPLIT = re.compile(r"\s*[,;|]\s*")


def normalise_key(text: object) -> str:
    """A header or property name as compared with the aliases (a BOM is dropped too).

    Examples
    --------
    >>> normalise_key(" End  Time"), normalise_key("E-mail"), normalise_key("post.code")
    ('end_time', 'e_mail', 'post_code')
    """
    key = str(text).replace("\ufeff", "").strip().lower()
    return _KEY_SEPARATORS.sub("_", key).strip("_")


def clean(value: Any) -> Any:
    """A raw value with surrounding spaces stripped and the missing-value texts made ``None``.

    Examples
    --------
    >>> clean("  NA "), clean(" Sale "), clean(3)
    (None, 'Sale', 3)
    """
    if isinstance(value, str):
        value = value.strip()
        return None if len(value) <= LONGEST_MISSING and value.lower() in MISSING_TEXTS \
            else value
    if isinstance(value, float) and math.isnan(value):  # NaN from data frames
        return None
    return value


def as_list(value: Any) -> list[Any]:
    """``None`` -> ``[]``, a list stays, anything else becomes a one-item list (JSON-LD style)."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def split_text_list(value: Any) -> list[Any]:
    """A list, or a comma/semicolon/pipe separated text, as a list of non-empty items."""
    if isinstance(value, str):
        return [part for part in _LIST_SPLIT.split(value.strip()) if part]
    return [item for item in as_list(value) if clean(item) is not None]


def weekday_number(value: Any) -> Any:
    """A day as 0 (Sunday) ... 6 (Saturday) when it is recognisably one, else the raw value.

    Integers and digit strings pass as numbers (range checks are validation's job); day
    names and their usual abbreviations are looked up (:data:`domain.schedule.DAY_NUMBERS`).

    Examples
    --------
    >>> weekday_number("Monday"), weekday_number("thu"), weekday_number("3"), weekday_number("x")
    (1, 4, 3, 'x')
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
        found = day_number(text)
        return value if found is None else found
    return value


def weekday_list(value: Any) -> list[Any] | None:
    """Days as a list (see :func:`weekday_number`); ``None`` when there is no day at all."""
    if value in (None, "", []):
        return None
    items = split_text_list(value) if isinstance(value, str) else as_list(value)
    return [weekday_number(item) for item in items] or None


def row_error(
    row: int, reason: str, *, id: Any = None, field: str | None = None
) -> dict[str, Any]:
    """One entry of :attr:`ingest.records.ReadResult.errors`."""
    return {"row": row, "id": id, "field": field, "reason": reason}


def check_kind(kind: str, fmt: str, allowed: Iterable[str] = KINDS) -> None:
    """Raise :class:`IngestError` when ``kind`` is unknown or the format cannot hold it."""
    if kind not in KINDS:
        msg = f"kind {kind!r} is not one of {', '.join(KINDS)}"
        raise IngestError(msg)
    allowed = tuple(allowed)
    if kind not in allowed:
        msg = (
            f"format {fmt!r} holds {' and '.join(allowed)}, not {kind}: "
            f"read this file as {allowed[0]!r} or pick another format"
        )
        raise IngestError(msg)


def load_json(path: Path) -> Any:
    """Parse a JSON file, turning every failure into an :class:`IngestError` naming the file."""
    raw = read_bytes(path)
    if b"\x00" in raw[:8192] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        msg = f"{path.name!r} is not a text file (it contains NUL bytes): expected JSON"
        raise IngestError(msg)
    if not raw.strip():
        msg = f"{path.name!r} is empty: expected a JSON document"
        raise IngestError(msg)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = f"{path.name!r} is not UTF-8 text ({exc.reason} at byte {exc.start}): expected JSON"
        raise IngestError(msg) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"{path.name!r} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        raise IngestError(msg) from None
    except RecursionError:
        msg = f"{path.name!r} is nested too deeply to read as JSON"
        raise IngestError(msg) from None


def read_bytes(path: Path) -> bytes:
    """The file's bytes, or an :class:`IngestError` saying why it cannot be opened."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        msg = f"file {str(path)!r} does not exist"
        raise IngestError(msg) from None
    except IsADirectoryError:
        msg = f"{str(path)!r} is a folder, not a file"
        raise IngestError(msg) from None
    except OSError as exc:
        msg = f"cannot read {str(path)!r}: {exc.strerror}"
        raise IngestError(msg) from None


def join_address(*parts: Any, sep: str = ", ") -> str | None:
    """Non-empty parts joined with ``sep``, skipping parts the text already contains."""
    out: list[str] = []
    for part in parts:
        text = clean(part)
        if text is None:
            continue
        text = str(text)
        if any(text.lower() in done.lower() for done in out):
            continue
        out.append(text)
    return sep.join(out) or None


def first_present(mapping: dict[str, Any], *keys: str) -> Any:
    """The first value among ``keys`` that is not missing (see :func:`clean`)."""
    for key in keys:
        value = clean(mapping.get(key))
        if value is not None:
            return value
    return None
